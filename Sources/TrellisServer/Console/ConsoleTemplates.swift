import Mustache

/// The console's pages as Mustache templates: a shared head (navigation) and foot, and one
/// template a page. Plain HTML and CSS, no script from anywhere (users may run air-gapped).
enum ConsoleTemplates {
    static let head = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Trellis</title>
        <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%230969da'/%3E%3C/svg%3E">
        <style>
        :root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0969da;--bg:#f6f8fa}
        *{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);background:#fff}
        a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus{outline:3px solid var(--accent);outline-offset:2px}
        header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--bg)}
        header strong{font-size:1.1rem}nav ul{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;margin:0;padding:0}
        nav a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--ink)}
        main{max-width:72rem;margin:0 auto;padding:1rem}.who{margin-left:auto;color:var(--muted)}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem;margin:1rem 0}
        .card{border:1px solid var(--line);border-radius:6px;padding:.75rem}.card .n{font-size:1.6rem;font-weight:700}.card .p{color:var(--muted)}
        button{background:var(--accent);color:#fff;border:0;border-radius:4px;padding:.45rem .9rem;font:inherit;cursor:pointer}
        button.secondary{background:#fff;color:var(--ink);border:1px solid var(--line)}
        input,select{font:inherit;padding:.4rem;border:1px solid var(--muted);border-radius:4px}
        .error{color:#a40e26;border-left:4px solid #a40e26;padding-left:.75rem}.muted{color:var(--muted)}
        td,th{overflow-wrap:anywhere}svg{max-width:100%;height:auto}
        @media (max-width:40rem){header{padding:.5rem}table,tbody,tr,td{display:block}thead{display:none}tr{border-bottom:1px solid var(--line);padding:.4rem 0}td{border:0;padding:.15rem 0}select{max-width:100%}}
        </style></head>
        <body>
        <header><strong>Trellis</strong>
        {{#user}}<nav aria-label="Main"><ul>
        <li><a href="/console/dashboard"{{#nav.dashboard}} aria-current="page"{{/nav.dashboard}}>Dashboard</a></li>
        <li><a href="/console/contacts"{{#nav.contacts}} aria-current="page"{{/nav.contacts}}>Contacts</a></li>
        <li><a href="/console/handoffs"{{#nav.handoffs}} aria-current="page"{{/nav.handoffs}}>Sales queue</a></li>
        </ul></nav>
        <span class="who">{{user.name}} ({{user.role}})</span>
        <form method="post" action="/console/logout"><input type="hidden" name="csrf" value="{{csrf}}"><button class="secondary" type="submit">Sign out</button></form>{{/user}}
        </header>
        <main id="main">
        """

    static let foot = """
        </main>
        </body></html>
        """

    static let login = """
        {{> head}}
        <h1>Sign in</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/console/login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <p><label for="email">Email</label><br><input id="email" name="email" type="email" autocomplete="username" required value="{{email}}"></p>
        <p><label for="password">Password</label><br><input id="password" name="password" type="password" autocomplete="current-password" required></p>
        <p><button type="submit">Sign in</button></p>
        </form>
        {{> foot}}
        """

    static let dashboard = """
        {{> head}}
        <h1>Dashboard</h1>
        <p class="muted">Leads captured {{from}} – {{to}}, beside the {{days}} days before.</p>
        <div class="cards" data-from="{{from}}" data-to="{{toExclusive}}">
        {{#cards}}<div class="card"><div>{{label}}</div><div class="n" data-metric="{{key}}">{{value}}</div><div class="p">prior {{prior}}</div></div>{{/cards}}
        </div>
        <h2>Funnel</h2>
        <figure>{{{chart}}}<figcaption class="muted">Leads reaching each stage: this period (dark) and the prior one (light).</figcaption></figure>
        <h2>Conversion</h2>
        <table><thead><tr><th scope="col">Rate</th><th scope="col">This period</th><th scope="col">Prior</th></tr></thead><tbody>
        {{#rates}}<tr><td>{{label}}</td><td>{{value}}</td><td>{{prior}}</td></tr>{{/rates}}
        </tbody></table>
        {{> foot}}
        """

    static let contacts = """
        {{> head}}
        <h1>Contacts</h1>
        <form method="get" action="/console/contacts" role="search"><label for="q">Email</label> <input id="q" name="q" type="search" value="{{q}}"> <button type="submit">Search</button></form>
        <table><thead><tr><th scope="col">Email</th><th scope="col">Stage</th><th scope="col">Owner</th><th scope="col">Last seen</th></tr></thead><tbody>
        {{#contacts}}<tr><td><a href="/console/contacts/{{id}}">{{email}}</a></td><td>{{stage}}</td><td>{{owner}}</td><td>{{lastSeen}}</td></tr>{{/contacts}}
        {{^contacts}}<tr><td colspan="4">No contacts found.</td></tr>{{/contacts}}
        </tbody></table>
        {{> foot}}
        """

    static let contact = """
        {{> head}}
        <h1>{{name}}</h1>
        <p>{{email}} · stage <strong data-field="stage">{{stage}}</strong>{{#owner}} · owner {{owner}}{{/owner}}</p>
        {{#score}}<h2>Score</h2><p><strong data-field="score">{{total}}</strong> (grade {{grade}}; fit {{fit}}, engagement {{engagement}})</p>
        <ul>{{#reasons}}<li>{{text}}</li>{{/reasons}}</ul>{{/score}}
        <h2>Consent</h2>
        <table><thead><tr><th scope="col">When</th><th scope="col">Status</th><th scope="col">How</th><th scope="col">Wording</th></tr></thead><tbody>
        {{#consent}}<tr><td>{{at}}</td><td>{{status}}</td><td>{{method}}</td><td>{{text}}</td></tr>{{/consent}}
        {{^consent}}<tr><td colspan="4">No consent on record.</td></tr>{{/consent}}
        </tbody></table>
        <h2>Workflows</h2>
        <ul>{{#runs}}<li>{{workflow}} v{{version}}: {{status}}{{#reason}} ({{reason}}){{/reason}}</li>{{/runs}}{{^runs}}<li>None.</li>{{/runs}}</ul>
        <h2>Emails</h2>
        <ul>{{#emails}}<li>{{template}}: {{status}}{{#error}} — {{error}}{{/error}}</li>{{/emails}}{{^emails}}<li>None.</li>{{/emails}}</ul>
        <h2>Handoffs</h2>
        <ul>{{#handoffs}}<li>{{owner}}: {{status}} — {{reason}}</li>{{/handoffs}}{{^handoffs}}<li>None.</li>{{/handoffs}}</ul>
        <h2>Timeline</h2>
        <table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Source</th></tr></thead><tbody>
        {{#timeline}}<tr><td>{{at}}</td><td>{{name}}</td><td>{{source}}</td></tr>{{/timeline}}
        </tbody></table>
        {{> foot}}
        """

    static let handoffs = """
        {{> head}}
        <h1>Sales queue</h1>
        {{#notice}}<p role="status">{{notice}}</p>{{/notice}}
        <table><thead><tr><th scope="col">Lead</th><th scope="col">Why now</th><th scope="col">Due</th><th scope="col">Owner</th><th scope="col">Next step</th><th scope="col">Decide</th></tr></thead><tbody>
        {{#handoffs}}<tr><td><a href="/console/contacts/{{contactId}}">{{name}}</a></td><td>{{reason}}</td><td>{{due}}</td><td>{{owner}}</td><td>{{next}}</td>
        <td>{{#canDecide}}<form method="post" action="/console/handoffs/{{id}}"><input type="hidden" name="csrf" value="{{csrf}}">
        <label class="muted" for="reason-{{id}}">Reason</label> <select id="reason-{{id}}" name="reason"><option value="not_a_fit">not a fit</option><option value="no_budget">no budget</option><option value="bad_timing">bad timing</option><option value="duplicate">duplicate</option><option value="other">other</option></select>
        <button type="submit" name="action" value="accept">Accept</button> <button class="secondary" type="submit" name="action" value="reject">Reject</button> <button class="secondary" type="submit" name="action" value="recycle">Recycle</button></form>{{/canDecide}}</td></tr>{{/handoffs}}
        {{^handoffs}}<tr><td colspan="6">No open handoffs.</td></tr>{{/handoffs}}
        </tbody></table>
        {{> foot}}
        """

    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("head", head), ("foot", foot), ("login", login), ("dashboard", dashboard), ("contacts", contacts), ("contact", contact), ("handoffs", handoffs)] {
            // The templates are part of the program: a parse error is a bug caught by the tests.
            try! library.register(text, named: name)
        }
        return library
    }()
}
