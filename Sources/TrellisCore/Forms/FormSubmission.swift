/// A field that failed validation, as shown back on the form next to it.
public struct FieldError: Sendable, Equatable, Codable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// A validated submission: what becomes the contact's traits, and whether consent was given.
public struct FormSubmission: Sendable, Equatable {
    public var email: String
    public var traits: [String: JSONValue]
    /// The submitted values by field name, for the `Form Submitted` event.
    public var values: [String: JSONValue]
    public var consentGiven: Bool

    public init(email: String, traits: [String: JSONValue], values: [String: JSONValue], consentGiven: Bool) {
        self.email = email
        self.traits = traits
        self.values = values
        self.consentGiven = consentGiven
    }
}

extension FormDefinition {
    /// Which fields to show a visitor, given the traits already known about them.
    ///
    /// Progressive profiling: fields marked `progressive` are a queue; the first `progressiveMax`
    /// whose trait is still unknown are asked, so each visit learns something new instead of asking
    /// the same questions again. Fields marked `hide_if_known` drop out once known.
    public func fieldsToShow(knownTraits: [String: JSONValue]) -> [FormField] {
        func isKnown(_ field: FormField) -> Bool {
            guard let value = knownTraits[field.trait] else { return false }
            if case .string(let text) = value { return !text.isEmpty }
            return !value.isNull
        }
        var shown: [FormField] = []
        var progressiveShown = 0
        for field in fields {
            if field.progressive {
                if !isKnown(field), progressiveShown < progressiveMax {
                    shown.append(field)
                    progressiveShown += 1
                }
            } else if !(field.hideIfKnown && isKnown(field)) {
                shown.append(field)
            }
        }
        return shown
    }

    /// Whether a submission is a bot's: the honeypot field has a value.
    public func isHoneypotTripped(_ values: [String: String]) -> Bool {
        !(values[Self.honeypotField] ?? "").isEmpty
    }

    /// Validates submitted values against the fields that were shown.
    ///
    /// `shown` is the list of field names the page displayed (its `_fields` hidden input); when it
    /// is absent (a JSON submission), every non-progressive field is expected.
    public func validate(_ values: [String: String], shown: [String]?) -> Result<FormSubmission, FieldErrors> {
        let shownNames = Set(shown ?? fields.filter { !$0.progressive }.map(\.name))
        var errors: [FieldError] = []
        var traits: [String: JSONValue] = [:]
        var recorded: [String: JSONValue] = [:]
        for field in fields {
            let raw = values[field.name]?.trimmed ?? ""
            let isShown = shownNames.contains(field.name)
            if raw.isEmpty {
                if field.required && isShown && field.kind != .checkbox {
                    errors.append(FieldError(field: field.name, message: "\(field.label) is required"))
                } else if field.required && isShown && field.kind == .checkbox {
                    errors.append(FieldError(field: field.name, message: "\(field.label) must be ticked"))
                }
                continue
            }
            if raw.count > field.maxLength {
                errors.append(FieldError(field: field.name, message: "\(field.label) is longer than \(field.maxLength) characters"))
                continue
            }
            let value: JSONValue
            switch field.kind {
            case .email:
                guard Traits.isPlausibleEmail(raw) else {
                    errors.append(FieldError(field: field.name, message: "\(field.label) must be an email address like name@company.com"))
                    continue
                }
                value = .string(raw)
            case .number:
                guard let number = Double(raw) else {
                    errors.append(FieldError(field: field.name, message: "\(field.label) must be a number"))
                    continue
                }
                value = number.rounded() == number && abs(number) < 1e15 ? .int(Int64(number)) : .double(number)
            case .select:
                guard field.options.contains(raw) else {
                    errors.append(FieldError(field: field.name, message: "\(field.label) must be one of the listed options"))
                    continue
                }
                value = .string(raw)
            case .checkbox:
                let ticked = ["on", "true", "1", "yes"].contains(raw.lowercased())
                if field.required && !ticked { errors.append(FieldError(field: field.name, message: "\(field.label) must be ticked")) }
                value = .bool(ticked)
            case .url:
                guard raw.hasPrefix("http://") || raw.hasPrefix("https://") || raw.contains(".") else {
                    errors.append(FieldError(field: field.name, message: "\(field.label) must be a web address"))
                    continue
                }
                value = .string(raw)
            case .text, .textarea, .tel, .hidden:
                value = .string(raw)
            }
            traits[field.trait] = value
            recorded[field.name] = value
        }
        var consentGiven = false
        if let consent {
            let raw = (values[Self.consentField] ?? "").lowercased()
            consentGiven = ["on", "true", "1", "yes"].contains(raw)
            if consent.required && !consentGiven {
                errors.append(FieldError(field: Self.consentField, message: "Please tick the box to agree"))
            }
        }
        guard errors.isEmpty else { return .failure(FieldErrors(errors: errors)) }
        guard let email = traits["email"]?.stringValue else {
            return .failure(FieldErrors(errors: [FieldError(field: "email", message: "Email is required")]))
        }
        return .success(FormSubmission(email: email, traits: traits, values: recorded, consentGiven: consentGiven))
    }
}

public struct FieldErrors: Error, Sendable, Equatable {
    public var errors: [FieldError]
}
