import Foundation
import Testing
import TrellisCore
import TrellisMail
import TrellisServer
import TrellisStore

@Suite struct ConfigTests {
    func write(_ text: String, name: String = "trellis.yaml", in folder: URL) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func error(_ text: String, environment: [String: String] = [:]) throws -> String? {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            _ = try TrellisConfig.load(file: try write(text, in: folder), environment: environment)
            return nil
        } catch let error as TrellisConfig.Invalid {
            return error.description.replacingOccurrences(of: folder.path + "/", with: "")
        }
    }

    @Test func theIssuesExampleLoads() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try write(
            """
            base_url: https://nurture.example.com
            sender:
              from: "Acme <hello@acme.example>"
              reply_to: "sales@acme.example"
              postal_address: "Acme Inc., 1 Main St, Springfield, IL 62701, USA"
            smtp: smtp://user:pass@127.0.0.1:2525?tls=starttls
            dkim:
              - { domain: acme.example, selector: s1, algorithm: rsa-sha256, key_file: keys/s1.pem }
              - { domain: acme.example, selector: e1, algorithm: ed25519-sha256, key_file: keys/e1.pem }
            workflows: examples/workflows
            content: examples/content
            caps: { marketing_email: { max: 3, per: 7d } }
            quiet_hours: { start: "20:00", end: "08:00" }
            """, in: folder)
        let config = try TrellisConfig.load(file: path, environment: [:])
        #expect(config.baseURL == "https://nurture.example.com")
        #expect(config.sender?.from.address == "hello@acme.example" && config.sender?.replyTo?.address == "sales@acme.example")
        #expect(config.smtp?.tls == .starttls && config.smtp?.credentials?.user == "user" && config.smtp?.port == 2525)
        #expect(config.smtp?.description == "smtp://user:***@127.0.0.1:2525?tls=starttls")
        #expect(config.dkim.map(\.algorithm) == ["rsa-sha256", "ed25519-sha256"])
        #expect(config.dkim[0].keyFile == folder.appendingPathComponent("keys/s1.pem").path)
        #expect(config.caps[.marketingEmail] == FrequencyCap(max: 3, per: .days(7)))
        #expect(config.quietHours == QuietHours(start: 1200, end: 480))
        #expect(config.workflows == [folder.appendingPathComponent("examples/workflows").path])
    }

    @Test func theEnvironmentOverridesAndReadsSecretsFromFiles() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let smtpFile = try write("smtp://u:s3cret@relay.example:587?tls=starttls\n", name: "smtp", in: folder)
        let config = try TrellisConfig.load(
            file: try write("smtp: smtp://127.0.0.1:25?tls=none\n", in: folder),
            environment: ["TRELLIS_SMTP_FILE": smtpFile, "TRELLIS_SENDER_FROM": "Acme <hi@acme.example>", "TRELLIS_SENDER_POSTAL_ADDRESS": "1 Main St"])
        #expect(config.smtp?.host == "relay.example" && config.smtp?.credentials?.password == "s3cret")
        #expect(config.sender?.from.address == "hi@acme.example" && config.sender?.postalAddress == "1 Main St")
    }

    @Test func badSettingsNameTheKeyTheLineAndTheProblem() throws {
        #expect(try error("base_url: https://n.example\nsmtp_host: x\n") == "trellis.yaml:2: smtp_host: unknown key (known: base_url, bounces, caps, content, db, dkim, forms, host, port, previous_secret_files, quiet_hours, rate_limits, report_costs, sales, scoring, secret_file, segments, sender, smtp, smtp_limits, tracking, trusted_proxies, workflows)")
        #expect(try error("sender:\n  from: Acme\n") == "trellis.yaml:2: sender.from: not an address: 'Acme'")
        #expect(try error("smtp: smtp://h:25?tls=sometimes\n") == "trellis.yaml:1: smtp: tls must be starttls, implicit or none, got 'sometimes'")
        // Secrets never appear in what is printed or logged: not in errors, not in the URL's description.
        #expect(try error("smtp: smtp//u:s3cret@h:25\n")?.contains("s3cret") == false)
        #expect(try error("", environment: ["TRELLIS_SMTP": "smtp://u:s3cret@h:25?tls=sometimes"])?.contains("s3cret") == false)
        #expect(try TrellisConfig.load(file: nil, environment: ["TRELLIS_SMTP": "smtp://u:s3cret@h:25?tls=none"]).smtp.map { "\($0)" }?.contains("s3cret") == false)
        #expect(try error("caps: { marketing_email: { max: 3, per: 7 } }\n") == "trellis.yaml:1: caps.marketing_email.per: must be a duration such as 7d or 24h")
        #expect(try error("quiet_hours: { start: \"25:00\", end: \"08:00\" }\n")?.hasPrefix("trellis.yaml:1: quiet_hours: start and end must be") == true)
        #expect(try error("dkim:\n  - { domain: a.example, selector: s1, algorithm: rsa-sha1, key_file: k.pem }\n") == "trellis.yaml:2: dkim[0].algorithm: must be rsa-sha256 or ed25519-sha256, got 'rsa-sha1'")
        #expect(try error("secret_file: nowhere\n")?.hasPrefix("trellis.yaml:1: secret_file: cannot read") == true)
        #expect(try error("report_costs:\n  google: 4000\n  linkedin: lots\n") == "trellis.yaml:3: report_costs.linkedin: must be a monthly amount of at least 0, got \"lots\"")
        #expect(try error("report_costs: [4000]\n") == "trellis.yaml:1: report_costs: must map lead sources to monthly amounts (google: 4000)")
        #expect(try TrellisConfig.load(file: try write("report_costs: { google: 4000, partner: 1250.5 }\n", in: try folder()), environment: [:]).reportCosts == ["google": 4000, "partner": 1250.5])
        #expect(try error("smtp_limits: { first_retry: 100ms }\n") == "trellis.yaml:1: smtp_limits.first_retry: must be a duration from 1s to 6h, such as 60s or 5m")
        #expect(try error("trusted_proxies: [10.0.0.0/8, proxy.local]\n") == "trellis.yaml:1: trusted_proxies: not an address or range: 'proxy.local' (10.0.0.0/8, 127.0.0.1, fd00::/8)")
        #expect(try TrellisConfig.load(file: nil, environment: ["TRELLIS_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"]).trustedProxies.map(\.description) == ["10.0.0.0/8", "127.0.0.1"])
        #expect(try error("rate_limits:\n  tracking: fast\n") == "trellis.yaml:2: rate_limits.tracking: must be a rate per client address such as 1000/s or 20/m, or off; got 'fast'")
        let limits = try TrellisConfig.load(file: try write("rate_limits: { tracking: 200/s, forms: off }\n", in: try folder()), environment: ["TRELLIS_RATE_LIMITS_UNSUBSCRIBE": "5/m"]).rateLimits
        #expect(limits == PublicRateLimits(forms: nil, tracking: RateLimit(burst: 200, perMinute: 12_000), unsubscribe: RateLimit(burst: 5, perMinute: 5)))
        #expect(try TrellisConfig.load(file: nil, environment: [:]).rateLimits == PublicRateLimits())
        #expect(try error("base_url: nurture.example.com\n") == "trellis.yaml:1: base_url: must be an http(s) URL such as https://nurture.example.com, got 'nurture.example.com'")
        #expect(try error("tracking:\n  visitor_domains: [acme.com, https://www.acme.com/]\n")
            == "trellis.yaml:2: tracking.visitor_domains: not a host name: \"https://www.acme.com/\" (acme.com, www.acme.com: no scheme, port or path)")
        #expect(try error("tracking: { visitor_domains: acme.com }\n") == "trellis.yaml:1: tracking.visitor_domains: must be a list of host names such as [acme.com]")
        let tracking = try TrellisConfig.load(file: try write("tracking: { visitor_domains: [Acme.com, go.partner.example] }\n", in: try folder()), environment: [:]).tracking
        #expect(tracking.visitorDomains == ["acme.com", "go.partner.example"])
        #expect(tracking.carriesVisitor(host: "acme.com") && tracking.carriesVisitor(host: "www.ACME.com") && tracking.carriesVisitor(host: "go.partner.example"))
        #expect(!tracking.carriesVisitor(host: "notacme.com") && !tracking.carriesVisitor(host: "partner.example") && !tracking.carriesVisitor(host: nil))
    }

    /// Rotating the link secret: the new one signs, the rotated-out one still verifies links in
    /// mail already sent, and once it is dropped those links stop working.
    @Test func linkSecretsRotateWithoutBreakingLinksAlreadySent() async throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("t.db").path)
        try await store.migrate()
        _ = try write("old-secret-0123456789abcdef-old", name: "secret.old", in: folder)
        let new = try write("new-secret-0123456789abcdef-new", name: "secret.new", in: folder)
        func setup(_ yaml: String) async throws -> MailSetup {
            let config = try TrellisConfig.load(file: try write(yaml, in: folder), environment: [:])
            return try await MailSetup.make(config: config, store: store, defaultBaseURL: "http://x", configFile: "trellis.yaml")
        }
        let payload = LinkPayload(purpose: .unsubscribe, sendId: 7, contactId: 3)
        let sentBefore = try await setup("secret_file: secret.old\n").signer.sign(payload)
        let rotated = try await setup("secret_file: secret.new\nprevious_secret_files: [secret.old]\n")
        #expect(try rotated.signer.verify(sentBefore) == payload)
        let sentAfter = rotated.signer.sign(payload)
        #expect(sentAfter != sentBefore)
        #expect(try LinkSigner(secrets: [Array(try Data(contentsOf: URL(fileURLWithPath: new)))]).verify(sentAfter) == payload)  // signed with the new one
        let retired = try await setup("secret_file: secret.new\n")
        #expect(throws: LinkSigner.Invalid.self) { try retired.signer.verify(sentBefore) }
        #expect(try retired.signer.verify(sentAfter) == payload)
        #expect(try error("previous_secret_files: [nowhere]\n")?.hasPrefix("trellis.yaml:1: previous_secret_files: cannot read") == true)
    }

    @Test func missingKeyFilesAndBrokenTemplatesStopTheStart() async throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("t.db").path)
        try await store.migrate()
        var config = TrellisConfig()
        config.dkim = [.init(domain: "acme.example", selector: "s1", algorithm: "rsa-sha256", keyFile: "/nowhere/s1.pem")]
        await #expect(throws: TrellisConfig.Invalid(file: "trellis.yaml", line: nil, key: "dkim[0].key_file", message: "cannot read /nowhere/s1.pem")) {
            try await MailSetup.make(config: config, store: store, defaultBaseURL: "http://x", configFile: "trellis.yaml")
        }
        let content = folder.appendingPathComponent("content")
        try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
        _ = try write("---\nsubject: Hi\n---\n{{#open}}never closed\n", name: "broken.mustache", in: content)
        config.dkim = []
        config.content = content.path
        do {
            _ = try await MailSetup.make(config: config, store: store, defaultBaseURL: "http://x", configFile: "trellis.yaml")
            Issue.record("a broken template must stop the start")
        } catch let error as TrellisConfig.Invalid {
            #expect(error.key == "content" && error.message.contains("broken.mustache:5: body: Mustache error expectedSectionEnd"), "\(error)")
        }
    }
}
