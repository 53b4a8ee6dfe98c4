import Foundation
import TrellisCore
import TrellisMail
import TrellisStore

/// Everything the email channel needs, made from the configuration once at start: the content
/// library, the sender, the guard rails, link signing and DKIM keys. Building it reads every
/// file, so a missing key or a broken template stops the server at start, not at the first send.
public struct MailSetup: Sendable {
    public var library: ContentLibrary
    public var sender: TrellisConfig.Sender?
    public var policy: SendPolicy
    public var baseURL: String
    /// `base_url` as configured; nil when ``baseURL`` is only the listening address, which may be
    /// one no browser can reach (`0.0.0.0`).
    public var configuredBaseURL: String?
    public var signer: LinkSigner
    public var dkim: [DKIMSigner]
    public var tracking: TrellisConfig.Tracking
    public var maxAttempts: Int
    /// Milliseconds to wait after a first temporary failure (doubling after each one).
    public var firstRetry: Int64
    /// Made once per store: with the send's id it makes the send's Message-ID, unique to this
    /// installation and the same on every try.
    public var messageIdSeed: UInt64
    public var softBounceLimit: Int

    public init(
        library: ContentLibrary, sender: TrellisConfig.Sender?, policy: SendPolicy, baseURL: String, signer: LinkSigner, dkim: [DKIMSigner] = [],
        tracking: TrellisConfig.Tracking = .init(), maxAttempts: Int = 8, firstRetry: Int64 = 60_000, messageIdSeed: UInt64 = 0, softBounceLimit: Int = 3,
        configuredBaseURL: String? = nil
    ) {
        self.library = library
        self.sender = sender
        self.policy = policy
        self.baseURL = baseURL
        self.configuredBaseURL = configuredBaseURL
        self.signer = signer
        self.dkim = dkim
        self.tracking = tracking
        self.maxAttempts = maxAttempts
        self.firstRetry = firstRetry
        self.messageIdSeed = messageIdSeed
        self.softBounceLimit = softBounceLimit
    }

    /// Reads the content folder, DKIM keys and secret the configuration names. The secret comes
    /// from `TRELLIS_SECRET`, then `secret_file`, then one the store generated and keeps.
    public static func make(config: TrellisConfig, store: any Store, defaultBaseURL: String, configFile: String?) async throws -> MailSetup {
        let file = configFile ?? "environment"
        var library = ContentLibrary()
        if let content = config.content {
            do {
                library = try ContentLibrary(directory: content)
            } catch {
                throw TrellisConfig.Invalid(file: file, line: nil, key: "content", message: error.description)
            }
        }
        var signers: [DKIMSigner] = []
        for (index, key) in config.dkim.enumerated() {
            guard let data = FileManager.default.contents(atPath: key.keyFile) else {
                throw TrellisConfig.Invalid(file: file, line: nil, key: "dkim[\(index)].key_file", message: "cannot read \(key.keyFile)")
            }
            let pem = String(decoding: data, as: UTF8.self)
            do {
                let signingKey: DKIMSigner.Key = key.algorithm == "ed25519-sha256" ? try .ed25519(pem: pem) : try .rsa(pem: pem)
                signers.append(DKIMSigner(domain: key.domain, selector: key.selector, key: signingKey))
            } catch {
                throw TrellisConfig.Invalid(file: file, line: nil, key: "dkim[\(index)].key_file", message: "\(key.keyFile) is not a \(key.algorithm) private key: \(error)")
            }
        }
        var secrets: [[UInt8]] = []
        if let secret = config.secret { secrets.append(Array(secret.utf8)) }
        if let secretFile = config.secretFile, let data = FileManager.default.contents(atPath: secretFile) { secrets.append(Array(data)) }
        // Rotated out: they verify links already sent, and sign nothing (the first secret signs).
        for file in config.previousSecretFiles {
            if let data = FileManager.default.contents(atPath: file) { secrets.append(Array(data)) }
        }
        // The generated one stays valid too, so links sent before a secret was configured keep working.
        let generated = try await store.setting("link_secret") {
            var random = SystemRandomNumberGenerator()
            return (0..<4).map { _ in String(random.next(), radix: 16) }.joined()
        }
        secrets.append(Array(generated.utf8))
        let seed = try await store.setting("message_id_seed") {
            var random = SystemRandomNumberGenerator()
            return String(random.next())
        }
        return MailSetup(
            library: library, sender: config.sender, policy: config.sendPolicy, baseURL: config.baseURL ?? defaultBaseURL,
            signer: LinkSigner(secrets: secrets), dkim: signers, tracking: config.tracking, maxAttempts: config.smtpLimits.maxAttempts,
            firstRetry: Int64(config.smtpLimits.firstRetrySeconds) * 1000, messageIdSeed: UInt64(seed) ?? 0,
            softBounceLimit: config.bounces.softLimit, configuredBaseURL: config.baseURL)
    }
}
