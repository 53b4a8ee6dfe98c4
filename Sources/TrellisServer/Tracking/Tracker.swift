import Hummingbird
import NIOCore

/// `GET /v1/tracker.js`: a small first-party tracker for sites that do not run analytics.js, in
/// one script tag, the way HubSpot's and Mautic's tracking codes are installed:
///
/// ```html
/// <script src="https://trellis.example.com/v1/tracker.js" data-write-key="wk_…" async></script>
/// ```
///
/// It speaks analytics.js's wire format to analytics.js's paths (`/v1/p`, `/v1/t`, `/v1/i`,
/// `/v1/g`; the write key in a `text/plain` body) and keeps the visitor's ids where analytics.js
/// keeps them (`ajs_anonymous_id`, `ajs_user_id`, JSON-quoted, in localStorage and a first-party
/// cookie), so it, analytics.js, embed.js and an email click's `ajs_aid` agree on who the visitor
/// is; links to the hosted forms (`/f/…`) get the visitor's id when clicked, as embed.js passes it
/// to embedded ones. It sends a page view on load (`data-page="off"` stops that), takes `ajs_aid` and `ajs_uid`
/// from the address, and UTM parameters as `context.campaign`. `window.trellis` offers `page`,
/// `track`, `identify`, `group` and `reset`; calls pushed onto a `window.trellis = []` stub before
/// it loads are made once it has. A call that meets a network error, a 5xx or a 429 is retried
/// with backoff under the same messageId (so it is stored once); a 4xx is not.
///
/// With `data-consent="required"` it stores and sends nothing (no id, no cookie) until the site's
/// consent banner calls `trellis.consent('granted')`; calls made before then (up to 100) go out at
/// that moment with their own times. `trellis.consent('denied')` drops them and forgets the ids.
enum Tracker {
    static let version = "1"

    /// How long browsers and proxies may keep the script.
    static let maxAgeSeconds = 3_600

    static func response() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=\(maxAgeSeconds)"],
            body: .init(byteBuffer: ByteBuffer(string: script)))
    }

    /// `read(name)`: an id as analytics.js keeps it, in localStorage, else a cookie, JSON-quoted or
    /// not; null when there is none. Shared by this script and the forms' embed.js.
    static let readStoredId = #"""
        function read(name) {
            function unquote(v) { try { return v.charAt(0) === '"' ? JSON.parse(v) : v; } catch (e) { return null; } }
            try { var stored = localStorage.getItem(name); if (stored) return unquote(stored); } catch (e) {}
            var m = document.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
            if (!m || !m[1]) return null;
            try { return unquote(decodeURIComponent(m[1])); } catch (e) { return null; }
          }
        """#

    static let script = #"""
        (function (window, document) {
          'use strict';
          var script = document.currentScript;
          if (!script || (window.trellis && window.trellis.loaded)) return;
          var writeKey = script.getAttribute('data-write-key');
          if (!writeKey && window.console) console.warn('Trellis tracker.js: the script tag has no data-write-key; calls will be refused');
          var base = script.src.replace(/\/v1\/tracker\.js.*$/, '');
          var queued = Array.isArray(window.trellis) ? window.trellis : [];

          function uuid() {
            if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
            var b = new Uint8Array(16);
            crypto.getRandomValues(b);
            b[6] = (b[6] & 15) | 64;
            b[8] = (b[8] & 63) | 128;
            var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
            return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
          }
          \#(readStoredId)
          function write(name, value) {
            var text = JSON.stringify(value);
            try { if (value == null) localStorage.removeItem(name); else localStorage.setItem(name, text); } catch (e) {}
            document.cookie = name + '=' + (value == null ? '' : encodeURIComponent(text)) + '; path=/; max-age=' +
              (value == null ? 0 : 31536000) + '; SameSite=Lax';
          }

          var params = new URLSearchParams(window.location.search);
          // data-consent="required": nothing is stored or sent until trellis.consent('granted').
          var waiting = script.getAttribute('data-consent') === 'required' ? [] : null;
          var anonymousId = null, userId = null;
          function start() {
            anonymousId = params.get('ajs_aid') || read('ajs_anonymous_id') || uuid();
            write('ajs_anonymous_id', anonymousId);
            userId = read('ajs_user_id');
          }
          if (!waiting) start();

          function context() {
            var c = {
              library: {name: 'trellis.js', version: '\#(version)'},
              userAgent: navigator.userAgent,
              locale: navigator.language,
              page: {path: location.pathname, referrer: document.referrer, search: location.search, title: document.title,
                     url: location.href.split('#')[0]}
            };
            try { c.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) {}
            var campaign = {};
            params.forEach(function (value, key) {
              if (key.indexOf('utm_') === 0 && key.length > 4) campaign[key === 'utm_campaign' ? 'name' : key.slice(4)] = value;
            });
            if (Object.keys(campaign).length) c.campaign = campaign;
            return c;
          }

          function send(path, message, attempt) {
            if (waiting) {
              message.timestamp = message.timestamp || new Date().toISOString();
              if (waiting.length < 100) waiting.push([path, message]);
              return Promise.resolve('waiting for consent');
            }
            var now = new Date().toISOString();
            message.messageId = message.messageId || uuid();
            message.timestamp = message.timestamp || now;
            message.anonymousId = anonymousId;
            if (message.userId && !userId) { userId = message.userId; write('ajs_user_id', userId); }
            if (userId) message.userId = userId;
            message.context = message.context || context();
            message.writeKey = writeKey;
            message.sentAt = now;
            return fetch(base + '/v1/' + path, {
              method: 'POST', keepalive: true, headers: {'Content-Type': 'text/plain'}, body: JSON.stringify(message)
            }).then(function (response) {
              if (response.status >= 500 || response.status === 429) throw new Error('HTTP ' + response.status);
              return response.status;
            }).catch(function () {
              attempt = (attempt || 0) + 1;
              if (attempt > 5) return null;
              return new Promise(function (resolve) { setTimeout(resolve, 500 * Math.pow(2, attempt)); })
                .then(function () { return send(path, message, attempt); });
            });
          }

          var api = {
            loaded: true,
            consent: function (choice) {
              if (choice === 'granted') {
                var pending = waiting || [];
                if (waiting) { waiting = null; start(); }
                return Promise.all(pending.map(function (call) { return send(call[0], call[1]); }));
              }
              waiting = [];
              anonymousId = userId = null;
              write('ajs_anonymous_id', null);
              write('ajs_user_id', null);
              return Promise.resolve([]);
            },
            page: function (name, properties) {
              // As analytics.js does: the page's own fields in the properties, where rules such as
              // `Page Viewed where path starts_with /pricing` look.
              var props = {path: location.pathname, referrer: document.referrer, search: location.search, title: document.title,
                           url: location.href.split('#')[0]};
              for (var key in (properties || {})) props[key] = properties[key];
              var message = {type: 'page', properties: props};
              if (name) { message.name = String(name); props.name = message.name; }
              return send('p', message);
            },
            track: function (event, properties) {
              return send('t', {type: 'track', event: String(event), properties: properties || {}});
            },
            identify: function (id, traits) {
              if (id !== null && typeof id === 'object') { traits = id; id = null; }
              var message = {type: 'identify', traits: traits || {}};
              if (id && waiting) message.userId = String(id);
              else if (id) { userId = String(id); write('ajs_user_id', userId); }
              return send('i', message);
            },
            group: function (groupId, traits) {
              return send('g', {type: 'group', groupId: String(groupId), traits: traits || {}});
            },
            reset: function () {
              if (waiting) return;
              userId = null;
              write('ajs_user_id', null);
              anonymousId = uuid();
              write('ajs_anonymous_id', anonymousId);
            },
            user: function () {
              return {id: function () { return userId; }, anonymousId: function () { return anonymousId; }};
            }
          };
          // Links from the site to Trellis's hosted forms take the visitor along, as embed.js does
          // for embedded ones: the form's submission is then this visitor's.
          document.addEventListener('click', function (e) {
            var a = e.target && e.target.closest ? e.target.closest('a[href]') : null;
            if (!a || !anonymousId || waiting || a.href.indexOf(base + '/f/') !== 0) return;
            var url = new URL(a.href);
            if (!url.searchParams.has('anonymousId')) { url.searchParams.set('anonymousId', anonymousId); a.href = url.toString(); }
          }, true);
          window.trellis = api;
          if (params.get('ajs_uid')) api.identify(params.get('ajs_uid'), {});
          if (script.getAttribute('data-page') !== 'off') api.page();
          queued.forEach(function (call) { if (call && api[call[0]]) api[call[0]].apply(api, call.slice(1)); });
        })(window, document);
        """#
}
