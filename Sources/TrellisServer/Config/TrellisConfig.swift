import Foundation
import TrellisCore
import TrellisMail

/// `trellis serve --config trellis.yaml`: the operator's settings. Each scalar key can also be set
/// by an environment variable (`TRELLIS_` and the key path in capitals: `TRELLIS_SMTP`,
/// `TRELLIS_SENDER_POSTAL_ADDRESS`), and each of those read from a file by adding `_FILE`
/// (`TRELLIS_SMTP_FILE=/run/secrets/smtp`), so secrets stay out of the YAML.
///
/// ```yaml
/// base_url: https://nurture.example.com
/// secret_file: /etc/trellis/secret
/// sender: { from: "Acme <hello@acme.example>", postal_address: "Acme Inc., 1 Main St, Springfield, IL 62701, USA" }
/// smtp: smtp://user:pass@127.0.0.1:2525?tls=starttls
/// caps: { marketing_email: { max: 3, per: 7d } }
/// quiet_hours: { start: "20:00", end: "08:00" }
/// ```
public struct TrellisConfig: Sendable {
    public var baseURL: String?
    public var secretFile: String?
    /// Secrets that still verify links but no longer sign them: the ones rotated out
    /// (`previous_secret_files: [/etc/trellis/secret.2026-09]`), until mail that carries them is old
    /// enough to let go.
    public var previousSecretFiles: [String] = []
    /// The secret itself, from `TRELLIS_SECRET` only (never from the YAML file).
    public var secret: String?
    public var sender: Sender?
    public var smtp: SMTPServerURL?
    public var smtpLimits = SMTPLimits()
    public var dkim: [DKIMKey] = []
    public var workflows: [String] = []
    public var segments: String?
    public var scoring: String?
    public var forms: String?
    /// The sales file: teams, owners, SLA, CRM webhook (see docs/sales.md).
    public var sales: String?
    public var content: String?
    public var caps: [SendCategory: FrequencyCap] = [:]
    public var quietHours: QuietHours?
    public var tracking = Tracking()
    public var bounces = Bounces()
    public var database: String?
    public var host: String?
    public var port: Int?
    /// What each lead source costs a month (`report_costs: { google: 4000 }`), for the reports'
    /// cost per opportunity.
    public var reportCosts: [String: Double] = [:]
    /// Requests per client address on the public endpoints (`rate_limits: { tracking: 1000/s }`).
    public var rateLimits = PublicRateLimits()
    /// Reverse proxies trusted to name the client in `X-Forwarded-For` (`trusted_proxies: [10.0.0.0/8]`).
    public var trustedProxies: [AddressRange] = []

    public struct Sender: Sendable, Equatable {
        public var from: MailAddress
        public var replyTo: MailAddress?
        public var postalAddress: String?
        public var signature: String?
        /// The address bounces go to (the envelope sender); `from` when absent.
        public var returnPath: String?

        public init(from: MailAddress, replyTo: MailAddress? = nil, postalAddress: String?, signature: String? = nil, returnPath: String? = nil) {
            self.from = from
            self.replyTo = replyTo
            self.postalAddress = postalAddress
            self.signature = signature
            self.returnPath = returnPath
        }
    }

    public struct SMTPLimits: Sendable, Equatable {
        public var connections = 4
        public var perSecond: Double?
        public var timeoutSeconds = 60
        /// Temporary failures before a send is given up.
        public var maxAttempts = 8
        /// The wait after the first temporary failure; it doubles with each one, to six hours.
        public var firstRetrySeconds = 60
    }

    public struct DKIMKey: Sendable, Equatable {
        public var domain: String
        public var selector: String
        public var algorithm: String
        public var keyFile: String

        public init(domain: String, selector: String, algorithm: String, keyFile: String) {
            self.domain = domain
            self.selector = selector
            self.algorithm = algorithm
            self.keyFile = keyFile
        }
    }

    public struct Tracking: Sendable, Equatable {
        public var opens = true
        public var clicks = true
        /// Sites (a host and its subdomains) that run analytics.js: a person's click through to one
        /// carries their visitor id as `ajs_aid`, so what they do there next is on their timeline.
        /// Empty (the default): links go out as written.
        public var visitorDomains: [String] = []

        public init(opens: Bool = true, clicks: Bool = true, visitorDomains: [String] = []) {
            self.opens = opens
            self.clicks = clicks
            self.visitorDomains = visitorDomains
        }

        /// Whether a link to `host` carries the visitor id: the host is a listed site or under one.
        public func carriesVisitor(host: String?) -> Bool {
            guard let host = host?.lowercased(), !host.isEmpty else { return false }
            return visitorDomains.contains { host == $0 || host.hasSuffix("." + $0) }
        }
    }

    public struct Bounces: Sendable, Equatable {
        /// Soft bounces of an address before it is suppressed.
        public var softLimit = 3
    }

    public init() {}

    /// A setting that is wrong, with the file, line and key.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int?
        public var key: String
        public var message: String

        public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(key): \(message)" }

        public init(file: String, line: Int?, key: String, message: String) {
            self.file = file
            self.line = line
            self.key = key
            self.message = message
        }
    }

    /// A DNS host name: dot-separated labels of letters, digits and inner hyphens.
    static func isHostName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return text.utf8.count <= 253 && labels.count >= 2
            && labels.allSatisfy { label in
                (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                    && label.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            }
    }

    static let keys: [String: Set<String>] = [
        "": [
            "base_url", "secret_file", "previous_secret_files", "sender", "smtp", "smtp_limits", "dkim", "workflows", "segments", "scoring", "forms", "sales", "content", "caps",
            "quiet_hours", "tracking", "bounces", "db", "host", "port", "report_costs", "rate_limits", "trusted_proxies",
        ],
        "rate_limits": ["forms", "tracking", "unsubscribe"],
        "sender": ["from", "reply_to", "postal_address", "signature", "return_path"],
        "smtp_limits": ["connections", "per_second", "timeout", "max_attempts", "first_retry"],
        "quiet_hours": ["start", "end"],
        "tracking": ["opens", "clicks", "visitor_domains"],
        "bounces": ["soft_limit"],
    ]

    /// Scalar keys an environment variable may set.
    static let environmentPaths = [
        "base_url", "secret_file", "smtp", "workflows", "segments", "scoring", "forms", "sales", "content", "db", "host", "port", "sender.from", "sender.reply_to",
        "sender.postal_address", "sender.signature", "sender.return_path", "quiet_hours.start", "quiet_hours.end",
        "rate_limits.forms", "rate_limits.tracking", "rate_limits.unsubscribe", "trusted_proxies",
    ]

    /// Reads the file (or nothing, when `file` is nil: environment only), applies the environment,
    /// and checks every key. Paths in the file are relative to the file's folder.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TrellisConfig {
        let name = file ?? "environment"
        var root: [String: JSONValue] = [:]
        var document: YAMLDocument?
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else { throw Invalid(file: file, line: nil, key: "file", message: "cannot read the file") }
            do {
                let parsed = try YAMLDocument(String(decoding: data, as: UTF8.self), file: file)
                guard case .object(let object) = parsed.value else {
                    throw Invalid(file: file, line: 1, key: "file", message: "the configuration must be a mapping of keys")
                }
                root = object
                document = parsed
            } catch let error as FormFiles.LoadError {
                throw Invalid(file: file, line: error.line, key: "file", message: error.message)
            }
        }
        let folder = file.map { ($0 as NSString).deletingLastPathComponent } ?? ""
        func fail(_ key: String, _ message: String) -> Invalid {
            Invalid(file: name, line: document?.line(for: key), key: key, message: message)
        }
        // Environment overrides, TRELLIS_SECRET and *_FILE variants.
        var fromEnvironment: Set<String> = []
        for path in environmentPaths {
            let variable = "TRELLIS_" + path.uppercased().replacingOccurrences(of: ".", with: "_")
            var value = environment[variable]
            if value == nil, let valueFile = environment[variable + "_FILE"] {
                guard let data = FileManager.default.contents(atPath: valueFile) else {
                    throw Invalid(file: "environment", line: nil, key: variable + "_FILE", message: "cannot read \(valueFile)")
                }
                value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let value else { continue }
            fromEnvironment.insert(path)
            let parts = path.split(separator: ".").map(String.init)
            if parts.count == 1 {
                root[path] = .string(value)
            } else {
                var nested = root[parts[0]]?.objectValue ?? [:]
                nested[parts[1]] = .string(value)
                root[parts[0]] = .object(nested)
            }
        }
        for (section, known) in keys {
            let object = section.isEmpty ? root : root[section]?.objectValue
            for key in (object ?? [:]).keys.sorted() where !known.contains(key) {
                let path = section.isEmpty ? key : "\(section).\(key)"
                throw fail(path, "unknown key (known: \(known.sorted().joined(separator: ", ")))")
            }
        }
        func resolve(_ path: String, _ value: String) -> String {
            // Relative paths are relative to the config file, unless they came from the environment.
            guard !value.hasPrefix("/"), !folder.isEmpty, !fromEnvironment.contains(path) else { return value }
            return (folder as NSString).appendingPathComponent(value)
        }
        func string(_ path: String, in object: [String: JSONValue]?, key: String) throws -> String? {
            guard let value = object?[key] else { return nil }
            switch value {
            case .string(let text): return text
            case .int(let number): return String(number)
            case .null: return nil
            default: throw fail(path, "must be text, got \(value.kindName)")
            }
        }
        func positive(_ path: String, _ value: JSONValue?) throws -> Int? {
            guard let value else { return nil }
            guard let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }), number > 0 else { throw fail(path, "must be a whole number above 0") }
            return number
        }

        var config = TrellisConfig()
        config.baseURL = try string("base_url", in: root, key: "base_url").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if let baseURL = config.baseURL {
            guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw fail("base_url", "must be an http(s) URL such as https://nurture.example.com, got '\(baseURL)'")
            }
        }
        config.secretFile = try string("secret_file", in: root, key: "secret_file").map { resolve("secret_file", $0) }
        config.secret = environment["TRELLIS_SECRET"]
        if let secretFile = config.secretFile {
            guard let data = FileManager.default.contents(atPath: secretFile) else { throw fail("secret_file", "cannot read \(secretFile)") }
            guard data.count >= 16 else { throw fail("secret_file", "\(secretFile) holds \(data.count) bytes; a secret needs at least 16 (32 random bytes are best)") }
        }
        /// A key that holds one path or a list of them (`what`: "file", "folder").
        func paths(_ key: String, of what: String) throws -> [String] {
            switch root[key] {
            case .string(let path)?: return [resolve(key, path)]
            case .array(let items)?:
                return try items.map { item in
                    guard let text = item.stringValue else { throw fail(key, "must be a \(what) or a list of \(what)s") }
                    return resolve(key, text)
                }
            case nil, .null?: return []
            default: throw fail(key, "must be a \(what) or a list of \(what)s")
            }
        }
        config.previousSecretFiles = try paths("previous_secret_files", of: "file")
        for path in config.previousSecretFiles where FileManager.default.contents(atPath: path) == nil {
            throw fail("previous_secret_files", "cannot read \(path)")
        }
        if let sender = root["sender"] {
            guard case .object(let fields) = sender else { throw fail("sender", "must be a mapping with from, reply_to, postal_address") }
            guard let fromText = try string("sender.from", in: fields, key: "from") else { throw fail("sender.from", "is required") }
            guard let from = MailAddress(parsing: fromText) else { throw fail("sender.from", "not an address: '\(fromText)'") }
            var replyTo: MailAddress?
            if let text = try string("sender.reply_to", in: fields, key: "reply_to") {
                guard let address = MailAddress(parsing: text) else { throw fail("sender.reply_to", "not an address: '\(text)'") }
                replyTo = address
            }
            config.sender = Sender(
                from: from, replyTo: replyTo, postalAddress: try string("sender.postal_address", in: fields, key: "postal_address"),
                signature: try string("sender.signature", in: fields, key: "signature"),
                returnPath: try string("sender.return_path", in: fields, key: "return_path"))
        }
        if let smtp = try string("smtp", in: root, key: "smtp") {
            do {
                config.smtp = try SMTPServerURL(smtp)
            } catch {
                throw fail("smtp", error.description)
            }
        }
        if let limits = root["smtp_limits"]?.objectValue {
            if let connections = try positive("smtp_limits.connections", limits["connections"]) { config.smtpLimits.connections = connections }
            if let perSecond = limits["per_second"] {
                guard let rate = perSecond.doubleValue, rate > 0 else { throw fail("smtp_limits.per_second", "must be a number above 0") }
                config.smtpLimits.perSecond = rate
            }
            if let timeout = limits["timeout"] {
                guard let duration = timeout.stringValue.flatMap(RuleDuration.init(parsing:)) else {
                    throw fail("smtp_limits.timeout", "must be a duration such as 30s or 2m")
                }
                config.smtpLimits.timeoutSeconds = Int(max(1, duration.milliseconds / 1000))
            }
            if let attempts = try positive("smtp_limits.max_attempts", limits["max_attempts"]) { config.smtpLimits.maxAttempts = attempts }
            if let retry = limits["first_retry"] {
                guard let duration = retry.stringValue.flatMap(RuleDuration.init(parsing:)), (1000...6 * 3_600_000).contains(duration.milliseconds) else {
                    throw fail("smtp_limits.first_retry", "must be a duration from 1s to 6h, such as 60s or 5m")
                }
                config.smtpLimits.firstRetrySeconds = Int(duration.milliseconds / 1000)
            }
        }
        if let dkim = root["dkim"] {
            guard case .array(let entries) = dkim else { throw fail("dkim", "must be a list of { domain, selector, algorithm, key_file }") }
            for (index, entry) in entries.enumerated() {
                let path = "dkim[\(index)]"
                guard case .object(let fields) = entry else { throw fail(path, "must be { domain, selector, algorithm, key_file }") }
                for key in fields.keys.sorted() where !["domain", "selector", "algorithm", "key_file"].contains(key) {
                    throw fail("\(path).\(key)", "unknown key (known: algorithm, domain, key_file, selector)")
                }
                guard let domain = try string("\(path).domain", in: fields, key: "domain") else { throw fail("\(path).domain", "is required") }
                guard let selector = try string("\(path).selector", in: fields, key: "selector") else { throw fail("\(path).selector", "is required") }
                let algorithm = try string("\(path).algorithm", in: fields, key: "algorithm") ?? "rsa-sha256"
                guard ["rsa-sha256", "ed25519-sha256"].contains(algorithm) else {
                    throw fail("\(path).algorithm", "must be rsa-sha256 or ed25519-sha256, got '\(algorithm)'")
                }
                guard let keyFile = try string("\(path).key_file", in: fields, key: "key_file") else { throw fail("\(path).key_file", "is required") }
                config.dkim.append(DKIMKey(domain: domain, selector: selector, algorithm: algorithm, keyFile: resolve("\(path).key_file", keyFile)))
            }
        }
        config.workflows = try paths("workflows", of: "folder")
        config.segments = try string("segments", in: root, key: "segments").map { resolve("segments", $0) }
        config.scoring = try string("scoring", in: root, key: "scoring").map { resolve("scoring", $0) }
        config.forms = try string("forms", in: root, key: "forms").map { resolve("forms", $0) }
        config.sales = try string("sales", in: root, key: "sales").map { resolve("sales", $0) }
        config.content = try string("content", in: root, key: "content").map { resolve("content", $0) }
        config.database = try string("db", in: root, key: "db").map { $0.contains("://") ? $0 : resolve("db", $0) }
        config.host = try string("host", in: root, key: "host")
        if let port = root["port"] {
            guard let number = port.intValue ?? port.stringValue.flatMap({ Int($0) }), (0...65535).contains(number) else {
                throw fail("port", "must be a port number")
            }
            config.port = number
        }
        if let caps = root["caps"] {
            guard case .object(let categories) = caps else { throw fail("caps", "must map a category (marketing_email) to { max, per }") }
            for (category, cap) in categories.sorted(by: { $0.key < $1.key }) {
                let path = "caps.\(category)"
                guard let kind = SendCategory(rawValue: category) else { throw fail(path, "unknown category (known: marketing_email, transactional_email)") }
                guard case .object(let fields) = cap, let max = try positive("\(path).max", fields["max"]) else {
                    throw fail(path, "must be { max: 3, per: 7d }")
                }
                guard let per = fields["per"]?.stringValue.flatMap(RuleDuration.init(parsing:)) else {
                    throw fail("\(path).per", "must be a duration such as 7d or 24h")
                }
                config.caps[kind] = FrequencyCap(max: max, per: per)
            }
        }
        if let quiet = root["quiet_hours"]?.objectValue {
            guard let start = try string("quiet_hours.start", in: quiet, key: "start"), let end = try string("quiet_hours.end", in: quiet, key: "end") else {
                throw fail("quiet_hours", "needs start and end, such as { start: \"20:00\", end: \"08:00\" }")
            }
            guard let hours = QuietHours(start: start, end: end) else {
                throw fail("quiet_hours", "start and end must be different HH:MM times, got \(start) and \(end)")
            }
            config.quietHours = hours
        }
        if let tracking = root["tracking"]?.objectValue {
            for key in ["opens", "clicks"] {
                guard let value = tracking[key] else { continue }
                guard case .bool(let flag) = value else { throw fail("tracking.\(key)", "must be true or false") }
                if key == "opens" { config.tracking.opens = flag } else { config.tracking.clicks = flag }
            }
            if let domains = tracking["visitor_domains"] {
                guard case .array(let items) = domains else { throw fail("tracking.visitor_domains", "must be a list of host names such as [acme.com]") }
                config.tracking.visitorDomains = try items.map { item in
                    guard let text = item.stringValue?.lowercased(), Self.isHostName(text) else {
                        throw fail("tracking.visitor_domains", "not a host name: \(item.jsonText) (acme.com, www.acme.com: no scheme, port or path)")
                    }
                    return text
                }
            }
        }
        if let bounces = root["bounces"]?.objectValue, let limit = try positive("bounces.soft_limit", bounces["soft_limit"]) {
            config.bounces.softLimit = limit
        }
        for (source, value) in (root["report_costs"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let amount = value.doubleValue, amount >= 0, amount.isFinite else {
                throw fail("report_costs.\(source)", "must be a monthly amount of at least 0, got \(value.jsonText)")
            }
            config.reportCosts[source] = amount
        }
        let proxies: [String]
        switch root["trusted_proxies"] {
        case .string(let text)?: proxies = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .array(let items)?:
            proxies = try items.map { item in
                guard let text = item.stringValue else { throw fail("trusted_proxies", "must be a list of addresses or ranges such as 10.0.0.0/8") }
                return text
            }
        case nil, .null?: proxies = []
        default: throw fail("trusted_proxies", "must be a list of addresses or ranges such as 10.0.0.0/8")
        }
        config.trustedProxies = try proxies.map { text in
            guard let range = AddressRange(text) else { throw fail("trusted_proxies", "not an address or range: '\(text)' (10.0.0.0/8, 127.0.0.1, fd00::/8)") }
            return range
        }
        if let limits = root["rate_limits"] {
            guard case .object(let fields) = limits else { throw fail("rate_limits", "must map forms, tracking or unsubscribe to a rate such as 1000/s") }
            for (key, path) in [("forms", \PublicRateLimits.forms), ("tracking", \.tracking), ("unsubscribe", \.unsubscribe)] {
                if fields[key] == .bool(false) {  // YAML reads a bare `off` as false
                    config.rateLimits[keyPath: path] = nil
                    continue
                }
                guard let text = try string("rate_limits.\(key)", in: fields, key: key) else { continue }
                if text == "off" {
                    config.rateLimits[keyPath: path] = nil
                } else if let rate = RateLimit(parsing: text) {
                    config.rateLimits[keyPath: path] = rate
                } else {
                    throw fail("rate_limits.\(key)", "must be a rate per client address such as 1000/s or 20/m, or off; got '\(text)'")
                }
            }
        }
        if let costs = root["report_costs"], costs.objectValue == nil, costs != .null {
            throw fail("report_costs", "must map lead sources to monthly amounts (google: 4000)")
        }
        return config
    }

    /// The guard rails this configuration sets.
    public var sendPolicy: SendPolicy {
        SendPolicy(postalAddress: sender?.postalAddress, caps: caps, quietHours: quietHours)
    }
}
