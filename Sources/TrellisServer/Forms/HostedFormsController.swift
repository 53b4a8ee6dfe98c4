import Foundation
import Synchronization
import Hummingbird
import NIOCore
import TrellisCore
import TrellisStore

/// Hosted forms: `GET /f/{key}` (the page), `POST /f/{key}` (urlencoded or JSON),
/// `GET /f/{key}/embed.js` (the embeddable snippet).
///
/// A visitor is recognised by the `trellis_aid` cookie (their anonymous id), which is how
/// progressive profiling knows what not to ask again and how their earlier anonymous page views
/// end up on their contact once they submit.
struct HostedFormsController {
    let services: Services
    static let cookieName = "trellis_aid"

    func register(on router: Router<TrellisRequestContext>) {
        router.get("f/:key", use: page)
        router.post("f/:key", use: submit)
        router.get("f/:key/embed.js", use: embedScript)
    }

    func form(_ context: TrellisRequestContext) async throws -> FormDefinition {
        let key = context.parameters.get("key") ?? ""
        guard FormDefinition.isValidKey(key), let form = try await services.store.form(key: key) else {
            throw APIError.notFound("form '\(key)' does not exist")
        }
        return form
    }

    @Sendable func page(_ request: Request, context: TrellisRequestContext) async throws -> HTMLResponse {
        let form = try await form(context)
        // Embedded, the form is a third-party frame: its own cookie is not sent (SameSite), and
        // embed.js passes the embedding page's analytics.js visitor instead.
        let pageVisitor = request.uri.queryParameters["anonymousId"].map(String.init).flatMap { Self.isPlausibleId($0) ? $0 : nil }
        let (anonymousId, isNew) = visitor(request, named: pageVisitor)
        let known = try await knownTraits(anonymousId: isNew ? nil : anonymousId)
        let page = FormPage(
            form: form, fields: form.fieldsToShow(knownTraits: known), submissionId: services.random.make(prefix: "s"),
            embedded: request.uri.queryParameters["embed"] != nil, pageVisitor: pageVisitor)
        return HTMLResponse(html: page.html, headers: cookieHeaders(anonymousId, isNew: isNew))
    }

    @Sendable func submit(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let form = try await form(context)
        let isJSON = RequestBody.mediaType(request) == "application/json"
        let now = services.clock.now()
        do {
            try services.formLimiter?.check(context.clientIP, at: now, what: "submissions")
        } catch {
            services.metrics.formSubmission(result: "rate_limited")
            throw error
        }
        let values = try await Self.values(request, isJSON: isJSON)
        let (anonymousId, isNew) = visitor(request, named: values["anonymousId"])
        if form.isHoneypotTripped(values) {
            // Answer as if it worked: a bot that learns nothing does not adapt.
            services.metrics.formSubmission(result: "honeypot")
            return try respondSuccess(form: form, contactId: nil, isJSON: isJSON, request: request, context: context, cookie: cookieHeaders(anonymousId, isNew: isNew))
        }
        let shown = values["_fields"].map { $0.split(separator: ",").map(String.init) }
        switch form.validate(values, shown: shown) {
        case .failure(let failure):
            services.metrics.formSubmission(result: "invalid")
            if isJSON {
                var error = APIError(
                    .unprocessableContent, code: "invalid_form", message: failure.errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "),
                    field: failure.errors.first?.field)
                error.extra["fields"] = .array(failure.errors.map { ["field": .string($0.field), "message": .string($0.message)] })
                throw error
            }
            let fields = shown.map { names in form.fields.filter { names.contains($0.name) } } ?? form.fieldsToShow(knownTraits: [:])
            let page = FormPage(
                form: form, fields: fields, values: values, errors: failure.errors, submissionId: values["_submission"] ?? services.random.make(prefix: "s"),
                embedded: request.uri.queryParameters["embed"] != nil, pageVisitor: values["anonymousId"].flatMap { Self.isPlausibleId($0) ? $0 : nil })
            return try HTMLResponse(html: page.html, status: .unprocessableContent).response(from: request, context: context)
        case .success(let submission):
            let batch = makeBatch(form: form, submission: submission, anonymousId: anonymousId, values: values, request: request, context: context, at: now)
            let outcome = try await services.committer.submit(batch)
            services.metrics.formSubmission(result: outcome.duplicates > 0 ? "duplicate" : "accepted")
            return try respondSuccess(
                form: form, contactId: outcome.contactIds.compactMap { $0 }.first, isJSON: isJSON, request: request, context: context,
                cookie: cookieHeaders(anonymousId, isNew: isNew))
        }
    }

    /// One submission is an identify (traits, consent evidence), a `Form Submitted` track and, if
    /// the form names one, its own event, stored together; the submission id makes a double-click
    /// store it once.
    func makeBatch(
        form: FormDefinition, submission: FormSubmission, anonymousId: String, values: [String: String], request: Request,
        context: TrellisRequestContext, at now: Timestamp
    ) -> IngestBatch {
        let submissionId = values["_submission"].flatMap { $0.isEmpty ? nil : String($0.prefix(64)) } ?? services.random.make(prefix: "s")
        let page = request.headers[.referer] ?? "/f/\(form.key)"
        var pageContext: [String: JSONValue] = ["userAgent": .string(request.headers[.userAgent] ?? ""), "page": ["url": .string(page)]]
        if let address = context.recordedClientIP { pageContext["ip"] = .string(address) }
        // As analytics.js reports the device's zone: the identify below fills the profile's
        // `timezone` trait with it when the profile has none.
        if let zone = values[FormDefinition.timeZoneField], Traits.isPlausibleTimeZone(zone) { pageContext["timezone"] = .string(zone) }
        var consent: ConsentRecord?
        if let definition = form.consent, submission.consentGiven {
            consent = ConsentRecord(
                channel: definition.channel, status: .granted, basis: .express, method: .formCheckbox, text: definition.text,
                textVersion: definition.version, location: "form:\(form.key) \(page)", ipAddress: context.recordedClientIP,
                userAgent: request.headers[.userAgent], recordedAt: now)
        }
        let identify = TrackingMessage(
            type: .identify, messageId: "form-\(form.key)-\(submissionId)-identify", anonymousId: anonymousId, traits: submission.traits,
            context: pageContext)
        var properties: [String: JSONValue] = ["form": .string(form.key), "fields": .object(submission.values)]
        if form.consent != nil { properties["consent"] = .bool(submission.consentGiven) }
        var messages = [
            IngestMessage(identify, consent: consent, stage: form.stage),
            IngestMessage(
                TrackingMessage(
                    type: .track, messageId: "form-\(form.key)-\(submissionId)", anonymousId: anonymousId, name: FormDefinition.submittedEvent,
                    properties: properties, context: pageContext)),
        ]
        // A form may also name what the submission means ("Ebook Downloaded"), logged beside it.
        if form.event != FormDefinition.submittedEvent {
            messages.append(
                IngestMessage(
                    TrackingMessage(
                        type: .track, messageId: "form-\(form.key)-\(submissionId)-event", anonymousId: anonymousId, name: form.event,
                        properties: properties, context: pageContext)))
        }
        return IngestBatch(source: "forms", receivedAt: now, messages: messages)
    }

    func respondSuccess(
        form: FormDefinition, contactId: Int64?, isJSON: Bool, request: Request, context: TrellisRequestContext, cookie: HTTPFields
    ) throws -> Response {
        if isJSON {
            var response = JSONResponse.make(["success": true, "message": .string(form.successMessage)])
            for field in cookie { response.headers.append(field) }
            return response
        }
        if let redirect = form.redirect {
            var headers = cookie
            headers[.location] = redirect
            return Response(status: .seeOther, headers: headers)
        }
        return try HTMLResponse(html: FormPage.thankYou(form), headers: cookie).response(from: request, context: context)
    }

    @Sendable func embedScript(_ request: Request, context: TrellisRequestContext) async throws -> Response {
        let form = try await form(context)
        let script = Self.embedScript(key: form.key)
        return Response(
            status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: script)))
    }

    /// Inserts an iframe of the hosted form where the script tag stands, sized to its content, and
    /// passes it the page's analytics.js visitor (`analytics.user()`, else the `ajs_anonymous_id`
    /// analytics.js keeps in localStorage or a cookie, JSON-quoted or not), so the submission joins
    /// the history that visitor's calls built.
    static func embedScript(key: String) -> String {
        """
        (function () {
          var s = document.currentScript, base = s.src.replace(/\\/f\\/[^/]+\\/embed\\.js.*$/, '');
          \(Tracker.readStoredId)
          function visitor() {
            try { var id = window.analytics && analytics.user && analytics.user().anonymousId(); if (id) return String(id); } catch (e) {}
            return read('ajs_anonymous_id');
          }
          var id = visitor();
          var f = document.createElement('iframe');
          f.src = base + '/f/\(key)?embed=1' + (id ? '&anonymousId=' + encodeURIComponent(id) : ''); f.title = 'Form'; f.style.border = '0'; f.style.width = '100%'; f.style.minHeight = '480px';
          f.setAttribute('loading', 'lazy');
          // The form's page reports its height (FormPage.heightReport): the frame follows it.
          window.addEventListener('message', function (e) {
            if (e.source === f.contentWindow && e.data && typeof e.data.trellisFormHeight === 'number') {
              f.style.minHeight = '0'; f.style.height = Math.ceil(e.data.trellisFormHeight) + 'px';
            }
          });
          s.parentNode.insertBefore(f, s);
        })();
        """
    }

    // MARK: Visitors

    /// Who is submitting: an anonymousId the request names (the embedding page's analytics.js
    /// visitor, or a JSON client's `anonymousId`) first, as the identity the rest of their calls
    /// use; else the form's own cookie; else a new visitor (who gets the cookie).
    func visitor(_ request: Request, named: String? = nil) -> (String, isNew: Bool) {
        if let named, Self.isPlausibleId(named) { return (named, false) }
        if let cookie = Self.cookie(request, named: Self.cookieName), Self.isPlausibleId(cookie) { return (cookie, false) }
        return (services.random.make(prefix: "a"), true)
    }

    static func isPlausibleId(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x3B && $0 != 0x2C }
    }

    func knownTraits(anonymousId: String?) async throws -> [String: JSONValue] {
        guard let anonymousId, let id = try await services.store.contactId(anonymousId: anonymousId),
            let contact = try await services.store.contact(id: id)
        else { return [:] }
        var traits = contact.traits
        if let email = contact.email { traits["email"] = .string(email) }
        return traits
    }

    func cookieHeaders(_ anonymousId: String, isNew: Bool) -> HTTPFields {
        guard isNew else { return [:] }
        return [.setCookie: "\(Self.cookieName)=\(anonymousId); Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"]
    }

    static func cookie(_ request: Request, named name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name { return String(pair[1]).trimmingCharacters(in: .whitespaces) }
            }
        }
        return nil
    }

    // MARK: Bodies

    static func values(_ request: Request, isJSON: Bool) async throws -> [String: String] {
        let mediaType = RequestBody.mediaType(request)
        guard isJSON || mediaType == "application/x-www-form-urlencoded" else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "submit the form as application/x-www-form-urlencoded or application/json")
        }
        let body = try await RequestBody.read(request, limit: 64 * 1024)
        if isJSON {
            let value: JSONValue
            do { value = try JSONParser.parse(body) } catch { throw APIError(.badRequest, code: "invalid_json", message: error.description) }
            guard case .object(let object) = value else {
                throw APIError(.badRequest, code: "invalid_body", message: "the body must be a JSON object of field values")
            }
            var values: [String: String] = [:]
            for (key, value) in object {
                switch value {
                case .bool(let flag): values[key] = flag ? "true" : ""
                case .null: continue
                default:
                    guard let text = value.identifierValue else {
                        throw APIError(.badRequest, code: "invalid_field", message: "\(key) must be a string, number or boolean", field: key)
                    }
                    values[key] = text
                }
            }
            if let submissionId = values["submissionId"] { values["_submission"] = submissionId }
            return values
        }
        return urlDecoded(String(decoding: body, as: UTF8.self))
    }

    static func urlDecoded(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            let key = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            values[key] = values[key].map { $0 + "," + value } ?? value
        }
        return values
    }
}
