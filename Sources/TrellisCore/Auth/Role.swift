/// What an API key may do. Roles are fixed bundles of ``Permission``s.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Everything, including keys and deletion.
    case admin
    /// Contacts, accounts, forms, segments and the scoring model: read and edit.
    case marketer
    /// Contacts and accounts: read, and update owner, stage and traits.
    case sales
    /// Read-only access to the management API.
    case read
    /// Ingest only: the tracking API's write key. Safe to embed in a web page.
    case write

    public var permissions: Set<Permission> {
        switch self {
        case .admin: Set(Permission.allCases)
        case .marketer: [.readContacts, .editContacts, .deleteContacts, .readForms, .manageForms, .ingest, .readSegments, .manageSegments, .readContent, .sendEmail, .manageSuppressions]
        case .sales: [.readContacts, .editContacts, .readForms, .readSegments, .readContent]
        case .read: [.readContacts, .readForms, .readSegments, .readContent]
        case .write: [.ingest]
        }
    }

    public func allows(_ permission: Permission) -> Bool { permissions.contains(permission) }
}

public enum Permission: String, Sendable, CaseIterable {
    case ingest, readContacts, editContacts, deleteContacts, readForms, manageForms, manageKeys, readSegments, manageSegments
    /// Content previews and test sends; the suppression list.
    case readContent, sendEmail, manageSuppressions
    /// Posting bounce and complaint reports (they suppress addresses).
    case reportInbound
    /// Reading the audit log (admin only).
    case readAudit
}
