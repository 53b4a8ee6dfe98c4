/// A lead-capture form: its fields, progressive profiling queue and consent checkbox.
///
/// Defined in YAML files or through the API; both go through ``init(json:)`` so both get the same
/// errors, each naming the path of the bad field (`fields[2].type`).
///
/// ```yaml
/// key: ebook-crm-migration
/// title: Get the CRM migration guide
/// fields:
///   - { name: email, label: Work email, type: email, required: true }
///   - { name: firstName, label: First name, required: true }
///   - { name: company, label: Company, progressive: true }
///   - { name: title, label: Job title, progressive: true }
/// progressive_max: 2
/// consent: { text: "Send me the guide and related emails. Unsubscribe any time.", version: "2026-01" }
/// ```
public struct FormDefinition: Sendable, Equatable {
    public var key: String
    public var title: String
    public var description: String?
    public var submitLabel: String
    public var successMessage: String
    public var redirect: String?
    public var fields: [FormField]
    /// How many not-yet-known progressive fields to ask at once.
    public var progressiveMax: Int
    public var consent: FormConsent?
    /// An event each submission is also logged under, besides ``submittedEvent``
    /// (e.g. "Ebook Downloaded"); equal to ``submittedEvent`` when the form names none.
    public var event: String
    /// The lifecycle stage a new contact starts in.
    public var stage: LifecycleStage?

    /// The hidden field that people never see and bots fill in.
    public static let honeypotField = "hp_website"
    /// Every submission is logged as this event, whatever else the form names.
    public static let submittedEvent = "Form Submitted"
    public static let consentField = "consent"
    /// The hidden field the hosted page's script fills with the browser's IANA time zone (a JSON
    /// submission may send it too): the submission's `context.timezone`.
    public static let timeZoneField = "_tz"

    public init(
        key: String, title: String, description: String? = nil, submitLabel: String = "Submit",
        successMessage: String = "Thank you!", redirect: String? = nil, fields: [FormField], progressiveMax: Int = 2,
        consent: FormConsent? = nil, event: String = FormDefinition.submittedEvent, stage: LifecycleStage? = .lead
    ) {
        self.key = key
        self.title = title
        self.description = description
        self.submitLabel = submitLabel
        self.successMessage = successMessage
        self.redirect = redirect
        self.fields = fields
        self.progressiveMax = progressiveMax
        self.consent = consent
        self.event = event
        self.stage = stage
    }
}

public struct FormField: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case text, email, textarea, select, checkbox, number, tel, url, hidden
    }

    public var name: String
    public var label: String
    public var kind: Kind
    public var required: Bool
    public var options: [String]
    public var placeholder: String?
    public var maxLength: Int
    /// The contact trait the value is stored in (defaults to `name`).
    public var trait: String
    /// Asked only while the contact's trait is still unknown, a few at a time.
    public var progressive: Bool
    /// Not shown again once the trait is known.
    public var hideIfKnown: Bool

    public init(
        name: String, label: String, kind: Kind = .text, required: Bool = false, options: [String] = [], placeholder: String? = nil,
        maxLength: Int = 500, trait: String? = nil, progressive: Bool = false, hideIfKnown: Bool = false
    ) {
        self.name = name
        self.label = label
        self.kind = kind
        self.required = required
        self.options = options
        self.placeholder = placeholder
        self.maxLength = maxLength
        self.trait = trait ?? name
        self.progressive = progressive
        self.hideIfKnown = hideIfKnown
    }
}

/// The consent checkbox: its exact wording and version are what the evidence record keeps.
public struct FormConsent: Sendable, Equatable {
    public var text: String
    public var version: String
    /// When true, the form cannot be submitted without ticking the box.
    public var required: Bool
    public var channel: String

    public init(text: String, version: String, required: Bool = false, channel: String = "email") {
        self.text = text
        self.version = version
        self.required = required
        self.channel = channel
    }
}
