/// Input that Trellis refuses, with what the sender needs to fix it.
///
/// `field` is a path into the input (`batch[3].event`, `traits.email`, `row 17: Email`), `code` a
/// stable machine-readable word. The HTTP layer maps ``Kind`` to a status.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Malformed or incomplete input: 400.
        case invalid
        /// Input over a size limit: 413.
        case tooLarge
        /// Input that conflicts with what is stored: 409.
        case conflict
        /// A referenced thing does not exist: 404.
        case notFound
    }

    public var kind: Kind
    public var code: String
    public var message: String
    public var field: String?

    public init(_ kind: Kind = .invalid, code: String, message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }

    public static func missing(_ field: String, _ message: String? = nil) -> InputError {
        InputError(code: "missing_field", message: message ?? "\(field) is required", field: field)
    }

    public static func invalid(_ field: String, _ message: String) -> InputError {
        InputError(code: "invalid_field", message: message, field: field)
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }
}
