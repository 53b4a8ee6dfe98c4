import Mustache

/// The console's pages as Mustache templates: a shared head (navigation) and foot, and one
/// template a page. Plain HTML and CSS; one small script of its own (the rule editor's live
/// count), served by the console itself: nothing comes from elsewhere (users may run air-gapped).
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
        textarea{font:13px/1.4 ui-monospace,monospace;width:100%;padding:.4rem;border:1px solid var(--muted);border-radius:4px}
        pre{background:var(--bg);padding:.75rem;overflow-x:auto;white-space:pre-wrap;overflow-wrap:anywhere}
        .error{color:#a40e26;border-left:4px solid #a40e26;padding-left:.75rem}.muted{color:var(--muted)}
        td,th{overflow-wrap:break-word}svg{max-width:100%;height:auto}
        @media (max-width:40rem){header{padding:.5rem}table,tbody,tr,td{display:block}thead{display:none}tr{border-bottom:1px solid var(--line);padding:.4rem 0}td{border:0;padding:.15rem 0;overflow-wrap:anywhere}select{max-width:100%}}
        </style></head>
        <body>
        <header><strong>Trellis</strong>
        {{#user}}<nav aria-label="Main"><ul>
        <li><a href="/console/dashboard"{{#nav.dashboard}} aria-current="page"{{/nav.dashboard}}>Dashboard</a></li>
        <li><a href="/console/contacts"{{#nav.contacts}} aria-current="page"{{/nav.contacts}}>Contacts</a></li>
        <li><a href="/console/segments"{{#nav.segments}} aria-current="page"{{/nav.segments}}>Segments</a></li>
        <li><a href="/console/workflows"{{#nav.workflows}} aria-current="page"{{/nav.workflows}}>Workflows</a></li>
        <li><a href="/console/content"{{#nav.content}} aria-current="page"{{/nav.content}}>Content</a></li>
        <li><a href="/console/handoffs"{{#nav.handoffs}} aria-current="page"{{/nav.handoffs}}>Sales queue</a></li>
        <li><a href="/console/reports"{{#nav.reports}} aria-current="page"{{/nav.reports}}>Reports</a></li>
        <li><a href="/console/settings"{{#nav.settings}} aria-current="page"{{/nav.settings}}>Settings</a></li>
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
        <p class="muted">Leads captured {{from}} – {{to}}, beside the {{days}} days before; figures as of {{asOf}} UTC.</p>
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

    static let segments = """
        {{> head}}
        <h1>Segments</h1>
        <table><thead><tr><th scope="col">Segment</th><th scope="col">Members</th><th scope="col">Description</th><th scope="col">Updated</th></tr></thead><tbody>
        {{#segments}}<tr><td>{{#canEdit}}<a href="/console/segments?edit={{name}}#editor">{{name}}</a>{{/canEdit}}{{^canEdit}}{{name}}{{/canEdit}}</td><td data-segment="{{name}}">{{members}}{{#computing}} ({{computing}}){{/computing}}</td><td>{{description}}</td><td>{{updated}}</td></tr>{{/segments}}
        {{^segments}}<tr><td colspan="4">No segments yet.</td></tr>{{/segments}}
        </tbody></table>
        <h2 id="editor">{{#canEdit}}Write a rule, count it, save it{{/canEdit}}{{^canEdit}}Try a rule{{/canEdit}}</h2>
        <p class="muted">The count follows the rule as you type; nothing is saved until you save it. The rule language is in docs/rules.md.</p>
        {{#saved}}<p role="status">Saved segment <strong>{{saved}}</strong>: its members are being computed.</p>{{/saved}}
        <form method="post" action="/console/segments/preview"><input type="hidden" name="csrf" value="{{csrf}}">
        {{#canEdit}}<p><label for="name">Name</label><br><input id="name" name="name" value="{{name}}" autocomplete="off"></p>
        <p><label for="description">Description</label><br><input id="description" name="description" value="{{description}}" autocomplete="off"></p>{{/canEdit}}
        <p><label for="rule">Rule (YAML)</label><br><textarea id="rule" name="rule" rows="12" spellcheck="false" data-count-url="/console/segments/count">{{rule}}</textarea></p>
        <p id="live-count" role="status" aria-live="polite"></p>
        <p><button type="submit">Count</button>{{#canEdit}} <button class="secondary" type="submit" formaction="/console/segments/save">Save as segment</button>{{/canEdit}}</p></form>
        {{#problem}}<p class="error" role="alert">{{problem}}</p>{{/problem}}
        {{#preview}}<p role="status"><strong data-field="matching">{{matching}}</strong> of {{contacts}} contacts match.
        {{#sample}}<a href="/console/contacts/{{id}}">#{{id}}</a> {{/sample}}</p>{{/preview}}
        <script src="/console/static/console.js" defer></script>
        {{> foot}}
        """

    static let workflows = """
        {{> head}}
        <h1>Workflows</h1>
        <table><thead><tr><th scope="col">Workflow</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Entered</th><th scope="col">Waiting</th></tr></thead><tbody>
        {{#workflows}}<tr><td><a href="/console/workflows/{{name}}">{{name}}</a> v{{version}}</td><td>{{status}}</td><td>{{trigger}}</td><td>{{entered}}</td><td>{{waiting}}</td></tr>{{/workflows}}
        {{^workflows}}<tr><td colspan="5">No workflows yet.</td></tr>{{/workflows}}
        </tbody></table>
        {{#canEdit}}<h2>New workflow</h2>
        {{> workflowEditor}}{{/canEdit}}
        {{> foot}}
        """

    static let workflow = """
        {{> head}}
        <h1>{{name}}</h1>
        <p>Version {{version}}, <strong data-field="status">{{status}}</strong></p>
        {{#canEdit}}<form method="post" action="/console/workflows/{{name}}/status"><input type="hidden" name="csrf" value="{{csrf}}">
        {{#publish}}<button type="submit" name="status" value="published">Publish</button>{{/publish}}{{#pause}}<button class="secondary" type="submit" name="status" value="paused">Pause</button>{{/pause}}</form>{{/canEdit}}
        <h2>Steps</h2>
        <figure>{{{graph}}}<figcaption class="muted">Each step with what happened there (sends, waits, exits by reason).</figcaption></figure>
        {{#experiment}}<h2>Split results</h2><p>Goal: {{goal}}</p>
        <table><thead><tr><th scope="col">Variant</th><th scope="col">Entered</th><th scope="col">Reached the goal</th><th scope="col">Rate</th><th scope="col">95 % interval</th></tr></thead><tbody>
        {{#arms}}<tr><td>{{name}}</td><td>{{entered}}</td><td>{{converted}}</td><td>{{rate}}</td><td>{{interval}}</td></tr>{{/arms}}
        </tbody></table>{{/experiment}}
        <h2>Definition</h2>
        {{#canEdit}}<p class="muted">Saving makes a new version; runs under way stay on the version they started.</p>
        {{> workflowEditor}}{{/canEdit}}
        {{^canEdit}}<pre>{{source}}</pre>{{/canEdit}}
        {{> foot}}
        """

    static let content = """
        {{> head}}
        <h1>Content</h1>
        {{#noContent}}<p>Email is not set up: start the server with a content library (docs/email.md).</p>{{/noContent}}
        <table><thead><tr><th scope="col">Template</th><th scope="col">Kind</th><th scope="col">Topic</th></tr></thead><tbody>
        {{#templates}}<tr><td><a href="/console/content/{{name}}">{{name}}</a></td><td>{{kind}}</td><td>{{topic}}</td></tr>{{/templates}}
        </tbody></table>
        {{> foot}}
        """

    static let template = """
        {{> head}}
        <h1>{{name}}</h1>
        <form method="get" action="/console/content/{{name}}"><label for="contact">Preview for contact id</label> <input id="contact" name="contact" inputmode="numeric" value="{{contactId}}"> <button type="submit">Preview</button></form>
        <p class="muted">As {{email}} would get it.</p>
        {{#problem}}<p class="error" role="alert">{{problem}}</p>{{/problem}}
        {{^problem}}<h2>Subject</h2><p data-field="subject">{{subject}}</p>
        {{#preheader}}<p class="muted">{{preheader}}</p>{{/preheader}}
        <h2>Text</h2><pre>{{text}}</pre>
        <details><summary>HTML source</summary><pre>{{html}}</pre></details>{{/problem}}
        {{> foot}}
        """

    static let reports = """
        {{> head}}
        <h1>Reports</h1>
        <p class="muted">Leads captured {{from}} – {{to}}, figures as of {{asOf}} UTC; the same figures as /api/v1/reports. Costs are the monthly amounts of the config's <code>report_costs</code> over the period.</p>
        <h2>By source</h2>
        <table><thead><tr><th scope="col">Source</th><th scope="col">Captured</th><th scope="col">MQL</th><th scope="col">SAL</th><th scope="col">SQL</th><th scope="col">Opportunities</th><th scope="col">Customers</th><th scope="col">Pipeline</th><th scope="col">Lead → MQL</th><th scope="col">Days to MQL</th><th scope="col">Cost</th><th scope="col">Cost per opportunity</th></tr></thead><tbody>
        {{#bySource}}<tr><td>{{group}}</td><td>{{captured}}</td><td>{{mql}}</td><td>{{sal}}</td><td>{{sql}}</td><td>{{opportunity}}</td><td>{{customer}}</td><td>{{pipeline}}</td><td>{{leadToMQL}}</td><td>{{days}}</td><td>{{cost}}</td><td data-cost-per-opportunity="{{group}}">{{costPerOpportunity}}</td></tr>{{/bySource}}
        </tbody></table>
        <h2>By segment (now)</h2>
        <table><thead><tr><th scope="col">Segment</th><th scope="col">Captured</th><th scope="col">MQL</th><th scope="col">SAL</th><th scope="col">SQL</th><th scope="col">Opportunities</th><th scope="col">Customers</th><th scope="col">Pipeline</th><th scope="col">Lead → MQL</th><th scope="col">Days to MQL</th></tr></thead><tbody>
        {{#bySegment}}<tr><td>{{group}}</td><td>{{captured}}</td><td>{{mql}}</td><td>{{sal}}</td><td>{{sql}}</td><td>{{opportunity}}</td><td>{{customer}}</td><td>{{pipeline}}</td><td>{{leadToMQL}}</td><td>{{days}}</td></tr>{{/bySegment}}
        </tbody></table>
        <h2>By workflow entered</h2>
        <table><thead><tr><th scope="col">Workflow</th><th scope="col">Captured</th><th scope="col">MQL</th><th scope="col">SAL</th><th scope="col">SQL</th><th scope="col">Opportunities</th><th scope="col">Customers</th><th scope="col">Pipeline</th><th scope="col">Lead → MQL</th><th scope="col">Days to MQL</th></tr></thead><tbody>
        {{#byWorkflow}}<tr><td>{{group}}</td><td>{{captured}}</td><td>{{mql}}</td><td>{{sal}}</td><td>{{sql}}</td><td>{{opportunity}}</td><td>{{customer}}</td><td>{{pipeline}}</td><td>{{leadToMQL}}</td><td>{{days}}</td></tr>{{/byWorkflow}}
        </tbody></table>
        <h2>By split variant</h2>
        <p class="muted">Leads by the arm of a workflow's split they were given (the holdout got none of its steps).</p>
        <table><thead><tr><th scope="col">Workflow: variant</th><th scope="col">Captured</th><th scope="col">MQL</th><th scope="col">SAL</th><th scope="col">SQL</th><th scope="col">Opportunities</th><th scope="col">Customers</th><th scope="col">Pipeline</th><th scope="col">Lead → MQL</th><th scope="col">Days to MQL</th></tr></thead><tbody>
        {{#byVariant}}<tr><td>{{group}}</td><td>{{captured}}</td><td>{{mql}}</td><td>{{sal}}</td><td>{{sql}}</td><td>{{opportunity}}</td><td>{{customer}}</td><td>{{pipeline}}</td><td>{{leadToMQL}}</td><td>{{days}}</td></tr>{{/byVariant}}
        </tbody></table>
        <h2>By workflow step</h2>
        <p class="muted">Leads by each step that sent, handed off, updated or enrolled them; a lead counts at every step it reached.</p>
        <table><thead><tr><th scope="col">Workflow: step</th><th scope="col">Captured</th><th scope="col">MQL</th><th scope="col">SAL</th><th scope="col">SQL</th><th scope="col">Opportunities</th><th scope="col">Customers</th><th scope="col">Pipeline</th><th scope="col">Lead → MQL</th><th scope="col">Days to MQL</th></tr></thead><tbody>
        {{#byStep}}<tr><td>{{group}}</td><td>{{captured}}</td><td>{{mql}}</td><td>{{sal}}</td><td>{{sql}}</td><td>{{opportunity}}</td><td>{{customer}}</td><td>{{pipeline}}</td><td>{{leadToMQL}}</td><td>{{days}}</td></tr>{{/byStep}}
        </tbody></table>
        <h2>Cohorts by capture week</h2>
        <table><thead><tr><th scope="col">Week of</th><th scope="col">Captured</th><th scope="col">MQL</th><th scope="col">SAL</th><th scope="col">SQL</th><th scope="col">Opportunities</th><th scope="col">Customers</th><th scope="col">Pipeline</th><th scope="col">Lead → MQL</th><th scope="col">Days to MQL</th></tr></thead><tbody>
        {{#byWeek}}<tr><td>{{group}}</td><td>{{captured}}</td><td>{{mql}}</td><td>{{sal}}</td><td>{{sql}}</td><td>{{opportunity}}</td><td>{{customer}}</td><td>{{pipeline}}</td><td>{{leadToMQL}}</td><td>{{days}}</td></tr>{{/byWeek}}
        </tbody></table>
        <h2>Email</h2>
        <table><thead><tr><th scope="col">Template</th><th scope="col">Sent</th><th scope="col">Opened</th><th scope="col">Clicked</th><th scope="col">Click to open</th><th scope="col">Unsubscribed</th></tr></thead><tbody>
        {{#email}}<tr><td>{{template}}</td><td>{{sent}}</td><td>{{opened}}</td><td>{{clicked}}</td><td>{{clickToOpen}}</td><td>{{unsubscribed}}</td></tr>{{/email}}
        {{^email}}<tr><td colspan="6">No email sent in the period.</td></tr>{{/email}}
        </tbody></table>
        {{#reengagement}}<p>Re-engagement ({{workflows}}{{^workflows}}no workflow has an inactivity trigger{{/workflows}}): {{entered}} entered, <strong data-field="reengagement">{{rate}}</strong> came back.</p>{{/reengagement}}
        <h2>Influenced pipeline</h2>
        <p>{{#models}}{{#current}}<strong>{{name}}</strong>{{/current}}{{^current}}<a href="/console/reports?model={{name}}">{{name}}</a>{{/current}} {{/models}}</p>
        {{#attribution}}<p>Pipeline <strong data-field="influenced">{{total}}</strong>, of which without a touch: {{unattributed}}</p>
        <table><thead><tr><th scope="col">Touch</th><th scope="col">Credited pipeline</th></tr></thead><tbody>
        {{#items}}<tr><td>{{touch}}</td><td>{{pipeline}}</td></tr>{{/items}}
        </tbody></table>{{/attribution}}
        <h2>A/B and holdout</h2>
        {{#experiments}}<h3>{{workflow}} (goal: {{goal}})</h3>
        <table><thead><tr><th scope="col">Variant</th><th scope="col">Entered</th><th scope="col">Reached the goal</th><th scope="col">Rate</th><th scope="col">95 % interval</th></tr></thead><tbody>
        {{#arms}}<tr><td>{{name}}</td><td>{{entered}}</td><td>{{converted}}</td><td>{{rate}}</td><td>{{interval}}</td></tr>{{/arms}}
        </tbody></table>
        <ul>{{#comparisons}}<li>{{arm}} against {{baseline}}: lift {{lift}}, confidence {{confidence}}</li>{{/comparisons}}</ul>{{/experiments}}
        {{^experiments}}<p>No workflow has a split step.</p>{{/experiments}}
        {{> foot}}
        """

    static let settings = """
        {{> head}}
        <h1>Settings</h1>
        <h2>Sources and API keys</h2>
        <table><thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Source</th><th scope="col">Key starts</th><th scope="col">Created</th></tr></thead><tbody>
        {{#keys}}<tr><td>{{name}}</td><td>{{role}}</td><td>{{source}}</td><td><code>{{prefix}}…</code></td><td>{{created}}</td></tr>{{/keys}}
        </tbody></table>
        <p class="muted">Keys are made with <code>trellis keys create</code>; the secret is shown once and stored hashed.</p>
        <h2>Email</h2>
        {{#mail}}<table><tbody>
        <tr><th scope="row">From</th><td>{{from}}</td></tr>
        <tr><th scope="row">Postal address</th><td>{{postal}}</td></tr>
        <tr><th scope="row">SMTP</th><td>{{sending}}</td></tr>
        <tr><th scope="row">Links</th><td>{{baseURL}}</td></tr>
        <tr><th scope="row">DKIM</th><td>{{#dkim}}{{selector}}._domainkey.{{domain}} {{/dkim}}{{^dkim}}not signing{{/dkim}}</td></tr>
        <tr><th scope="row">Caps</th><td>{{#caps}}{{category}}: {{max}} per {{per}}<br>{{/caps}}{{^caps}}none{{/caps}}</td></tr>
        <tr><th scope="row">Quiet hours</th><td>{{quiet}}</td></tr>
        </tbody></table>
        <p class="muted">Email settings come from the server's config file (docs/email.md).</p>{{/mail}}
        {{^mail}}<p>Email is not set up.</p>{{/mail}}
        {{> foot}}
        """

    /// The workflow editor: YAML checked on the server (with the line of each problem), saved as
    /// a draft or published.
    static let workflowEditor = """
        <form method="post" action="/console/workflows"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="page" value="{{name}}">
        <p><label for="definition">Definition (YAML, see docs/workflows.md)</label><br><textarea id="definition" name="definition" rows="18" spellcheck="false">{{definitionText}}</textarea></p>
        {{#problem}}<p class="error" role="alert">{{problem}}</p>{{/problem}}{{#checked}}<p role="status">{{checked}}</p>{{/checked}}
        <p><button type="submit" name="action" value="check">Check</button> <button class="secondary" type="submit" name="action" value="draft">Save as draft</button>
        <button class="secondary" type="submit" name="action" value="publish">Save and publish</button></p></form>
        """

    /// The console's own script (the only one): the rule editor's count, asked for after a pause
    /// in typing; an answer overtaken by a newer question is dropped.
    static let script = """
        (function () {
          "use strict";
          var rule = document.getElementById("rule"), out = document.getElementById("live-count");
          if (!rule || !out || !window.fetch) { return; }
          var timer = null, asked = 0;
          function count() {
            var mine = ++asked, body = new URLSearchParams();
            body.set("csrf", rule.form.elements.csrf.value);
            body.set("rule", rule.value);
            out.className = "muted";
            out.textContent = "Counting…";
            fetch(rule.getAttribute("data-count-url"), { method: "POST", body: body, credentials: "same-origin" })
              .then(function (response) { return response.json().then(function (json) { return { ok: response.ok, json: json }; }); })
              .then(function (answer) {
                if (mine !== asked) { return; }
                if (answer.ok) {
                  out.className = "";
                  out.textContent = answer.json.matching + " of " + answer.json.contacts + " contacts match now.";
                } else {
                  out.className = "error";
                  out.textContent = (answer.json.error && answer.json.error.message) || "The rule cannot be counted.";
                }
              })
              .catch(function () { if (mine === asked) { out.className = "muted"; out.textContent = "The count is not available right now."; } });
          }
          rule.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(count, 600); });
        })();
        """

    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in [("head", head), ("foot", foot), ("login", login), ("dashboard", dashboard), ("contacts", contacts), ("contact", contact), ("handoffs", handoffs),
            ("segments", segments), ("workflows", workflows), ("workflow", workflow), ("content", content), ("template", template), ("reports", reports),
            ("settings", settings), ("workflowEditor", workflowEditor),
        ] {
            // The templates are part of the program: a parse error is a bug caught by the tests.
            try! library.register(text, named: name)
        }
        return library
    }()
}
