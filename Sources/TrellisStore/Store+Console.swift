import TrellisCore

/// The console's people and their sessions. Passwords arrive already hashed (the server uses
/// scrypt); session tokens are stored as their SHA-256, so a copy of the store logs no one in.
public protocol ConsoleStore: Sendable {
    func saveUser(_ user: ConsoleUser) async throws
    func user(email: String) async throws -> ConsoleUser?
    func users() async throws -> [ConsoleUser]
    func createSession(tokenHash: String, email: String, csrf: String, at: Timestamp, expiresAt: Timestamp) async throws
    /// The session's user and CSRF token, if the session exists and has not expired.
    func session(tokenHash: String, at: Timestamp) async throws -> (user: ConsoleUser, csrf: String)?
    func deleteSession(tokenHash: String) async throws
}

/// Someone who signs in to the console.
public struct ConsoleUser: Sendable, Equatable {
    public var email: String
    public var name: String
    public var role: Role
    /// `scrypt$N$r$p$salt$hash` (base64).
    public var passwordHash: String

    public init(email: String, name: String, role: Role, passwordHash: String) {
        self.email = email
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
    }
}
