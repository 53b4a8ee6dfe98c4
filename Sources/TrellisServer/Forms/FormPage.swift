import TrellisCore

/// The hosted form page: plain, accessible HTML with its own small stylesheet and no external
/// resources, so it works air-gapped and inside an iframe.
struct FormPage {
    var form: FormDefinition
    var fields: [FormField]
    var values: [String: String] = [:]
    var errors: [FieldError] = []
    var submissionId: String
    var embedded: Bool
    /// The visitor's anonymousId from the page that embeds the form (analytics.js's, passed on by
    /// embed.js): the submission is then that visitor's, and their browsing history follows them.
    var pageVisitor: String? = nil

    var html: String {
        var body = ""
        body += "<main class=\"trellis-form\">\n<h1>\(HTML.escape(form.title))</h1>\n"
        if let description = form.description { body += "<p class=\"description\">\(HTML.escape(description))</p>\n" }
        if !errors.isEmpty {
            body += "<div class=\"summary\" role=\"alert\"><p>Please check \(errors.count == 1 ? "one field" : "\(errors.count) fields"):</p><ul>"
            for error in errors { body += "<li><a href=\"#f-\(HTML.escape(error.field))\">\(HTML.escape(error.message))</a></li>" }
            body += "</ul></div>\n"
        }
        body += "<form method=\"post\" action=\"/f/\(HTML.escape(form.key))\(embedded ? "?embed=1" : "")\" novalidate>\n"
        body += "<input type=\"hidden\" name=\"_fields\" value=\"\(HTML.escape(fields.map(\.name).joined(separator: ",")))\">\n"
        body += "<input type=\"hidden\" name=\"_submission\" value=\"\(HTML.escape(submissionId))\">\n"
        if let pageVisitor { body += "<input type=\"hidden\" name=\"anonymousId\" value=\"\(HTML.escape(pageVisitor))\">\n" }
        // The visitor's time zone, filled in by the browser (below): the profile's `timezone` trait
        // when it has none, so quiet hours follow the person's clock.
        body += "<input type=\"hidden\" id=\"f-tz\" name=\"\(FormDefinition.timeZoneField)\" value=\"\(HTML.escape(values[FormDefinition.timeZoneField] ?? ""))\">\n"
        for field in fields { body += render(field) }
        // The honeypot: hidden from people (and screen readers), tempting to bots.
        body += "<div class=\"hp\" aria-hidden=\"true\"><label for=\"f-hp\">Leave this empty</label>"
        body += "<input id=\"f-hp\" type=\"text\" name=\"\(FormDefinition.honeypotField)\" tabindex=\"-1\" autocomplete=\"off\"></div>\n"
        if let consent = form.consent {
            let checked = ["on", "true", "1"].contains(values[FormDefinition.consentField] ?? "") ? " checked" : ""
            let error = errors.first { $0.field == FormDefinition.consentField }
            body += "<div class=\"field consent\"><input id=\"f-consent\" type=\"checkbox\" name=\"consent\" value=\"on\"\(checked)"
            body += consent.required ? " required aria-required=\"true\"" : ""
            body += error != nil ? " aria-invalid=\"true\" aria-describedby=\"e-consent\"" : ""
            body += "><label for=\"f-consent\">\(HTML.escape(consent.text))</label>"
            if let error { body += "<p class=\"error\" id=\"e-consent\">\(HTML.escape(error.message))</p>" }
            body += "</div>\n"
        }
        body += "<button type=\"submit\">\(HTML.escape(form.submitLabel))</button>\n</form>\n</main>\n"
        body += "<script>try{var z=document.getElementById('f-tz');if(!z.value)z.value=Intl.DateTimeFormat().resolvedOptions().timeZone||''}catch(e){}</script>"
        return Self.document(title: form.title, body: body)
    }

    private func render(_ field: FormField) -> String {
        let id = "f-\(field.name)"
        let value = values[field.name] ?? ""
        let error = errors.first { $0.field == field.name }
        var attributes = "id=\"\(id)\" name=\"\(HTML.escape(field.name))\""
        if field.required { attributes += " required aria-required=\"true\"" }
        if error != nil { attributes += " aria-invalid=\"true\" aria-describedby=\"e-\(HTML.escape(field.name))\"" }
        if let placeholder = field.placeholder { attributes += " placeholder=\"\(HTML.escape(placeholder))\"" }
        let label = "<label for=\"\(id)\">\(HTML.escape(field.label))\(field.required ? " <span aria-hidden=\"true\">*</span>" : "")</label>"
        var control: String
        switch field.kind {
        case .textarea:
            control = "<textarea \(attributes) maxlength=\"\(field.maxLength)\" rows=\"4\">\(HTML.escape(value))</textarea>"
        case .select:
            control = "<select \(attributes)><option value=\"\">Choose…</option>"
            for option in field.options {
                control += "<option\(option == value ? " selected" : "")>\(HTML.escape(option))</option>"
            }
            control += "</select>"
        case .checkbox:
            let checked = ["on", "true", "1"].contains(value) ? " checked" : ""
            return "<div class=\"field checkbox\"><input type=\"checkbox\" \(attributes) value=\"on\"\(checked)>\(label)\(errorText(error, field))</div>\n"
        case .hidden:
            return "<input type=\"hidden\" name=\"\(HTML.escape(field.name))\" value=\"\(HTML.escape(value))\">\n"
        default:
            let type = field.kind == .number ? "number" : field.kind.rawValue
            let autocomplete = Self.autocomplete[field.trait].map { " autocomplete=\"\($0)\"" } ?? ""
            control = "<input type=\"\(type)\" \(attributes) value=\"\(HTML.escape(value))\" maxlength=\"\(field.maxLength)\"\(autocomplete)>"
        }
        return "<div class=\"field\">\(label)\(control)\(errorText(error, field))</div>\n"
    }

    private func errorText(_ error: FieldError?, _ field: FormField) -> String {
        guard let error else { return "" }
        return "<p class=\"error\" id=\"e-\(HTML.escape(field.name))\">\(HTML.escape(error.message))</p>"
    }

    static let autocomplete = [
        "email": "email", "firstName": "given-name", "lastName": "family-name", "company": "organization", "title": "organization-title",
        "phone": "tel", "country": "country-name",
    ]

    /// Inside embed.js's frame, the page tells the embedding page its height whenever it changes
    /// (the form, its errors, the thank-you), so the frame fits it with no scroll bar or gap. The
    /// body's own box, not the document's scroll height, which never falls below the frame's.
    static let heightReport =
        "if(window.parent!==window){var r=function(){parent.postMessage({trellisFormHeight:document.body.getBoundingClientRect().height},'*')};"
        + "addEventListener('load',r);if(window.ResizeObserver)new ResizeObserver(r).observe(document.body);r()}"

    static func thankYou(_ form: FormDefinition) -> String {
        document(title: form.title, body: "<main class=\"trellis-form\"><h1>\(HTML.escape(form.title))</h1><p class=\"thanks\" role=\"status\">\(HTML.escape(form.successMessage))</p></main>")
    }

    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title))</title>
        <style>
        body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1rem;color:#1b1f24;background:#fff}
        .trellis-form{max-width:32rem;margin:0 auto}.field{margin:0 0 1rem}label{display:block;font-weight:600;margin-bottom:.25rem}
        input[type=text],input[type=email],input[type=tel],input[type=url],input[type=number],select,textarea{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #57606a;border-radius:4px;font:inherit}
        input:focus,select:focus,textarea:focus,button:focus{outline:3px solid #0969da;outline-offset:1px}
        .checkbox label,.consent label{display:inline;font-weight:400;margin-left:.5rem}
        [aria-invalid=true]{border-color:#cf222e}.error{color:#a40e26;margin:.25rem 0 0}.summary{border:2px solid #cf222e;padding:.5rem 1rem;margin-bottom:1rem}
        button{background:#0969da;color:#fff;border:0;border-radius:4px;padding:.6rem 1.2rem;font:inherit;font-weight:600;cursor:pointer}
        .hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
        </style></head>
        <body>
        \(body)
        <script>\(heightReport)</script>
        </body></html>
        """
    }
}
