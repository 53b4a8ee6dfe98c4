extension FormDefinition {
    static let allowedKeys: Set<String> = [
        "key", "title", "description", "submit_label", "success_message", "redirect", "fields", "progressive_max", "consent", "event", "stage",
    ]
    static let allowedFieldKeys: Set<String> = [
        "name", "label", "type", "required", "options", "placeholder", "max_length", "trait", "progressive", "hide_if_known",
    ]

    /// Reads a definition from its JSON (or YAML-as-JSON) form; unknown keys are errors, so a typo
    /// never silently changes a form.
    public init(json: JSONValue) throws(InputError) {
        let reader = try ObjectReader(json, path: "")
        try reader.rejectUnknown(Self.allowedKeys)
        let key = try reader.string("key", required: true)!
        guard Self.isValidKey(key) else {
            throw InputError.invalid("key", "key must be 1-64 characters of a-z, 0-9, '-' or '_', got '\(key)'")
        }
        let title = try reader.string("title", required: true)!
        guard let fieldsValue = reader.object["fields"] else { throw InputError.missing("fields") }
        guard case .array(let fieldItems) = fieldsValue, !fieldItems.isEmpty else { throw InputError.invalid("fields", "fields must be a non-empty list") }
        var fields: [FormField] = []
        for (position, item) in fieldItems.enumerated() {
            let field = try FormField(json: item, path: "fields[\(position)]")
            if fields.contains(where: { $0.name == field.name }) {
                throw InputError.invalid("fields[\(position)].name", "field name '\(field.name)' is used twice")
            }
            fields.append(field)
        }
        guard fields.contains(where: { $0.kind == .email && $0.trait == "email" }) else {
            throw InputError.invalid("fields", "a form needs an email field (type: email) to identify the lead")
        }
        var consent: FormConsent?
        if let consentValue = reader.object["consent"], !consentValue.isNull {
            let consentReader = try ObjectReader(consentValue, path: "consent.")
            try consentReader.rejectUnknown(["text", "version", "required", "channel"])
            consent = FormConsent(
                text: try consentReader.string("text", required: true)!,
                version: try consentReader.string("version", required: true)!,
                required: try consentReader.bool("required") ?? false,
                channel: try consentReader.string("channel") ?? "email")
        }
        var stage: LifecycleStage? = .lead
        if let label = try reader.string("stage") {
            guard let parsed = LifecycleStage(label: label) else { throw InputError.invalid("stage", "unknown lifecycle stage '\(label)'") }
            stage = parsed
        }
        let progressiveMax = try reader.int("progressive_max") ?? 2
        guard (0...20).contains(progressiveMax) else { throw InputError.invalid("progressive_max", "progressive_max must be between 0 and 20") }
        self.init(
            key: key, title: title, description: try reader.string("description"), submitLabel: try reader.string("submit_label") ?? "Submit",
            successMessage: try reader.string("success_message") ?? "Thank you!", redirect: try reader.string("redirect"), fields: fields,
            progressiveMax: progressiveMax, consent: consent, event: try reader.string("event") ?? FormDefinition.submittedEvent, stage: stage)
    }

    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.count <= 64 && key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "key": .string(key), "title": .string(title), "submit_label": .string(submitLabel), "success_message": .string(successMessage),
            "fields": .array(fields.map(\.json)), "progressive_max": .int(Int64(progressiveMax)), "event": .string(event),
        ]
        if let description { object["description"] = .string(description) }
        if let redirect { object["redirect"] = .string(redirect) }
        if let stage { object["stage"] = .string(stage.rawValue) }
        if let consent {
            object["consent"] = ["text": .string(consent.text), "version": .string(consent.version), "required": .bool(consent.required), "channel": .string(consent.channel)]
        }
        return .object(object)
    }
}

extension FormField {
    init(json: JSONValue, path: String) throws(InputError) {
        let reader = try ObjectReader(json, path: path + ".")
        try reader.rejectUnknown(FormDefinition.allowedFieldKeys)
        let name = try reader.string("name", required: true)!
        guard FormDefinition.isValidFieldName(name) else {
            throw InputError.invalid(path + ".name", "field name must be letters, digits or '_', starting with a letter, got '\(name)'")
        }
        let typeName = try reader.string("type") ?? (name == "email" ? "email" : "text")
        guard let kind = Kind(rawValue: typeName) else {
            throw InputError.invalid(path + ".type", "unknown field type '\(typeName)'; expected one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var options: [String] = []
        if let optionsValue = reader.object["options"] {
            guard case .array(let items) = optionsValue, let strings = Optional(items.compactMap(\.identifierValue)), strings.count == items.count else {
                throw InputError.invalid(path + ".options", "options must be a list of strings")
            }
            options = strings
        }
        if kind == .select, options.isEmpty { throw InputError.missing(path + ".options", "a select field needs options") }
        let maxLength = try reader.int("max_length") ?? (kind == .textarea ? 5000 : 500)
        self.init(
            name: name, label: try reader.string("label") ?? name, kind: kind, required: try reader.bool("required") ?? false, options: options,
            placeholder: try reader.string("placeholder"), maxLength: maxLength, trait: try reader.string("trait"),
            progressive: try reader.bool("progressive") ?? false, hideIfKnown: try reader.bool("hide_if_known") ?? false)
        if progressive && required && kind == .email { throw InputError.invalid(path + ".progressive", "the email field cannot be progressive") }
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "label": .string(label), "type": .string(kind.rawValue), "required": .bool(required), "max_length": .int(Int64(maxLength)),
            "trait": .string(trait), "progressive": .bool(progressive), "hide_if_known": .bool(hideIfKnown),
        ]
        if !options.isEmpty { object["options"] = .array(options.map { .string($0) }) }
        if let placeholder { object["placeholder"] = .string(placeholder) }
        return .object(object)
    }
}

extension FormDefinition {
    static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.properties.isAlphabetic, first.isASCII else { return false }
        return name.utf8.count <= 64 && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}

/// Typed access to a JSON object with error paths: the shared helper for definition files.
public struct ObjectReader {
    public let object: [String: JSONValue]
    public let path: String

    public init(_ value: JSONValue, path: String) throws(InputError) {
        guard case .object(let object) = value else {
            throw InputError.invalid(path.isEmpty ? "(root)" : String(path.dropLast()), "expected an object, got \(value.kindName)")
        }
        self.object = object
        self.path = path
    }

    public func rejectUnknown(_ allowed: Set<String>) throws(InputError) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            throw InputError(code: "unknown_key", message: "unknown key '\(key)'; expected one of \(allowed.sorted().joined(separator: ", "))", field: path + key)
        }
    }

    public func string(_ key: String, required: Bool = false) throws(InputError) -> String? {
        guard let value = object[key], !value.isNull else {
            if required { throw InputError.missing(path + key) }
            return nil
        }
        guard let text = value.identifierValue else { throw InputError.invalid(path + key, "\(path + key) must be a string, got \(value.kindName)") }
        if required, text.isEmpty { throw InputError.missing(path + key, "\(path + key) must not be empty") }
        return text
    }

    public func bool(_ key: String) throws(InputError) -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .bool(let flag) = value else { throw InputError.invalid(path + key, "\(path + key) must be true or false, got \(value.kindName)") }
        return flag
    }

    public func int(_ key: String) throws(InputError) -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .int(let number) = value else { throw InputError.invalid(path + key, "\(path + key) must be a whole number, got \(value.kindName)") }
        return Int(number)
    }
}
