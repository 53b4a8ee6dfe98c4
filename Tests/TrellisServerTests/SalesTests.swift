import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TrellisCore
import TrellisMail
import TrellisServer
import TrellisStore

/// A server with email and the example sales file (webhook off), on the manual clock.
struct SalesFixture {
    static let salesFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/sales/team.yaml").standardized.path
    let mail: MailFixture
    let setup: SalesSetup

    init(edit: (inout SalesSetup) -> Void = { _ in }) async throws {
        mail = try await MailFixture()
        var setup = try SalesFiles.load(file: Self.salesFile, environment: [:])
        edit(&setup)
        self.setup = setup
        let transport = mail.transport
        let qualify = mail.server.services.qualify
        await mail.server.services.sales.configure(
            setup, signer: mail.setup.signer, baseURL: "https://nurture.acme.example", alerts: (transport, mail.setup.sender!, []),
            scorer: { await qualify.qualifier.scorer })
        // The first pass starts the stage-change cursor at "now".
        _ = try await sales.drain()
    }

    var sales: SalesService { mail.server.services.sales }
    var store: any Store { mail.store }
    var clock: ManualClock { mail.clock }

    /// A lead in a country that reaches MQL.
    func mql(_ userId: String, email: String, country: String) async throws -> Int64 {
        let id = try await mail.lead(userId, email: email)
        _ = try await store.updateContact(id: id, ContactPatch(traits: ["country": .string(country), "title": "VP Sales", "pain_point": "Our CRM loses notes"]), at: clock.now(), actor: "test")
        _ = try await store.updateContact(id: id, ContactPatch(stage: .some(.mql), stageReason: "Score reached 60"), at: clock.now(), actor: "test")
        return id
    }
}

@Suite struct SalesTests {
    @Test func aNewMQLIsRoutedByTerritoryWithItsStorylineAndTheOwnerIsAlerted() async throws {
        let fixture = try await SalesFixture()
        // 2026-03-02 is a Monday; 09:00 UTC is 10:00 in Berlin.
        let id = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        let report = try await fixture.sales.drain()
        #expect(report.handedOff == 1)
        let handoff = try #require(try await fixture.store.handoffs(status: .open, owner: nil, contactId: id, limit: 5).first)
        #expect(handoff.owner == "lena" && handoff.team == "emea")
        #expect(handoff.assignmentReason.hasPrefix("territory emea (") && handoff.assignmentReason.contains("country"))
        // Four business hours in Berlin: 14:00 there, 13:00 UTC.
        #expect(handoff.dueAt.iso8601 == "2026-03-02T13:00:00.000Z")
        let context = handoff.context
        #expect(context["contact"]?["email"] == "ada@example.com" && context["contact"]?["title"] == "VP Sales")
        #expect(context["painPoint"] == "Our CRM loses notes")
        #expect(context["firstTouch"] != nil && context["lastTouch"] != nil && context["last7Days"] != nil)
        #expect(try await fixture.store.contact(id: id)?.owner == "lena")
        #expect(try await fixture.mail.timeline(id).contains("Handed Off"))
        let alert = try #require(await fixture.mail.sent().last)
        #expect(alert.recipients == ["lena@acme.example"])
        #expect(alert.decodedBody.contains("Pain point: Our CRM loses notes") && alert.decodedBody.contains("https://nurture.acme.example/h/"))
        // Already with sales: no second handoff.
        _ = try await fixture.store.updateContact(id: id, ContactPatch(stage: .some(.mql)), at: fixture.clock.now(), actor: "test")
        #expect(try await fixture.sales.drain().handedOff == 0)
    }

    @Test func aLapsedSLAIsRemindedThenReassigned() async throws {
        let fixture = try await SalesFixture()
        let id = try await fixture.mql("u1", email: "ada@example.com", country: "FR")
        _ = try await fixture.sales.drain()
        let first = try #require(try await fixture.store.handoffs(status: .open, owner: nil, contactId: id, limit: 1).first)
        #expect(first.owner == "lena")
        fixture.clock.advance(milliseconds: 2 * 3_600_000)
        #expect(try await fixture.sales.drain().reminded == 1)
        #expect(await fixture.mail.sent().last?.header("Subject")?.hasPrefix("Reminder:") == true)
        fixture.clock.advance(milliseconds: 2 * 3_600_000)
        let report = try await fixture.sales.drain()
        #expect(report.reassigned == 1)
        let moved = try #require(try await fixture.store.handoff(id: first.id))
        #expect(moved.owner == "marc" && moved.assignmentReason.hasPrefix("SLA lapsed for lena"))
        #expect(moved.dueAt > fixture.clock.now())
        #expect(try await fixture.store.contact(id: id)?.owner == "marc")
        #expect(try await fixture.mail.timeline(id).contains("Handoff Reassigned"))
        #expect(await fixture.mail.sent().last?.recipients == ["marc@acme.example"])
    }

    @Test func escalationWhenConfiguredOrNobodyElseCanTakeIt() async throws {
        let fixture = try await SalesFixture { $0.handoff.onLapse = .escalate }
        let id = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        _ = try await fixture.sales.drain()
        fixture.clock.advance(milliseconds: 5 * 3_600_000)
        let report = try await fixture.sales.drain()
        #expect(report.escalated == 1)
        #expect(try await fixture.mail.timeline(id).contains("Handoff Escalated"))
        #expect(await fixture.mail.sent().last?.recipients == ["lena@acme.example"])  // the team lead
    }

    @Test func rejectionsFollowTheConfiguredPathAndAcceptanceMakesSAL() async throws {
        let fixture = try await SalesFixture()
        let budget = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        let fit = try await fixture.mql("u2", email: "bo@example.com", country: "DE")
        let good = try await fixture.mql("u3", email: "cy@example.com", country: "DE")
        _ = try await fixture.sales.drain()
        @Sendable func handoff(_ id: Int64) async throws -> Handoff { try #require(try await fixture.store.handoffs(status: nil, owner: nil, contactId: id, limit: 1).first) }
        try await fixture.mail.server.app.test(.router) { client in
            let body = #"{"outcome": "rejected", "reason": "no_budget", "note": "next fiscal year"}"#
            try await client.execute(
                uri: "/api/v1/handoffs/\(try await handoff(budget).id)/feedback", method: .post, headers: fixture.mail.server.bearer(.sales, json: true),
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .ok && response.body.json["status"] == "rejected")
            }
            try await client.execute(
                uri: "/api/v1/handoffs/\(try await handoff(fit).id)/feedback", method: .post, headers: fixture.mail.server.bearer(.sales, json: true),
                body: ByteBuffer(string: #"{"outcome": "rejected"}"#)
            ) { #expect($0.status == .badRequest && $0.body.json["error"]?["field"] == "reason") }
            try await client.execute(
                uri: "/api/v1/handoffs/\(try await handoff(fit).id)/feedback", method: .post, headers: fixture.mail.server.bearer(.sales, json: true),
                body: ByteBuffer(string: #"{"outcome": "rejected", "reason": "not_a_fit"}"#)
            ) { #expect($0.status == .ok) }
            // The accept link from the owner's email: a GET only shows the button, the POST accepts.
            let alert = try #require(await fixture.mail.sent().first { $0.decodedBody.contains("cy@example.com") })
            let link = try #require(alert.link("/h/"))
            let path = String(link.prefix { $0 != "?" })
            try await client.execute(uri: link, method: .get) { response in
                #expect(response.status == .ok && response.body.text.contains("Accept this lead"))
            }
            #expect(try await fixture.store.contact(id: good)?.stage == .mql)
            try await client.execute(
                uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "action=accept")
            ) { #expect($0.status == .ok) }
            var forged = Array(path)
            forged[forged.count - 2] = forged[forged.count - 2] == "A" ? "B" : "A"
            try await client.execute(
                uri: String(forged), method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "action=accept")
            ) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/handoffs/rejections", method: .get, headers: fixture.mail.server.bearer(.read)) { response in
                let reasons = response.body.json["items"]?.arrayValue?.filter { $0["by"] == "source" }.compactMap { $0["reason"]?.stringValue }.sorted()
                #expect(reasons == ["no_budget", "not_a_fit"])
            }
        }
        let nurtured = try #require(try await fixture.store.contact(id: budget))
        #expect(nurtured.stage == .lead && nurtured.owner == nil)
        #expect(try await fixture.store.contact(id: fit)?.stage == .disqualified)
        #expect(try await fixture.store.contact(id: good)?.stage == .sal)
        let accepted = try await handoff(good)
        #expect(accepted.status == .accepted && accepted.timeToFirstTouch == 0)
        #expect(try await fixture.mail.timeline(good).contains("Sales Feedback"))
        // Marketing email resumes for the nurtured lead only (sales owns SAL and beyond).
        _ = try await fixture.mail.send("migration-pitfalls", to: budget, key: "n1")
        _ = try await fixture.mail.send("migration-pitfalls", to: good, key: "n2")
        #expect(try await fixture.mail.drain() == ["sent": 1, "skipped": 1])
    }

    @Test func aWorkflowHandoffStepHandsOver() async throws {
        let fixture = try await SalesFixture()
        let id = try await fixture.mail.lead("u1", email: "ada@example.com")
        _ = try await fixture.store.updateContact(id: id, ContactPatch(traits: ["country": "US", "company_size": 500]), at: fixture.clock.now(), actor: "test")
        let workflow = try WorkflowDefinition(json: try JSONValue(jsonText: #"{"workflow": "hot", "trigger": {"event": "Demo Requested"}, "steps": [{"handoff": {"reason": "Asked for a demo"}}]}"#))
        _ = try await fixture.store.saveWorkflow(workflow, status: .published, at: fixture.clock.now())
        try await fixture.mail.server.services.workflows.reload()
        _ = try await fixture.store.ingest([
            IngestBatch(source: "web", receivedAt: fixture.clock.now(), messages: [IngestMessage(TrackingMessage(type: .track, messageId: "d1", userId: "u1", name: "Demo Requested"))])
        ])
        try await fixture.mail.server.services.workflows.drain()
        #expect(try await fixture.sales.drain().handedOff == 1)
        let handoff = try #require(try await fixture.store.handoffs(status: .open, owner: nil, contactId: id, limit: 1).first)
        #expect(handoff.owner == "sam" && handoff.reason == "Asked for a demo")
        #expect(handoff.context["suggestedNextStep"] == "Confirm the demo slot and ask who else should join")
    }
}

@Suite struct TrainingTests {
    /// Outcomes in the store that depend on known behaviour: leads who viewed pricing often and
    /// have a senior title were accepted, the others mostly rejected.
    @Test func trainingOnStoredOutcomesFindsWhatDecidedThem() async throws {
        let fixture = try await SalesFixture()
        var random = SplitMix64(seed: 7)
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
        let owner = fixture.setup.owners[0]
        var messages: [IngestMessage] = []
        var plan: [(String, Bool)] = []
        for index in 0..<400 {
            let userId = "t\(index)"
            let senior = chance(40)
            let pricing = Int(random.next() % 5)
            let z = -2.5 + 1.0 * Double(pricing) + 1.5 * (senior ? 1 : 0)
            let accepted = Double(random.next() % 1000) / 1000 < 1 / (1 + exp(-z))
            messages.append(IngestMessage(TrackingMessage(type: .identify, messageId: "i\(index)", userId: userId, traits: ["email": .string("\(userId)@example.com"), "title": .string(senior ? "VP Marketing" : "Analyst")])))
            for view in 0..<pricing {
                messages.append(IngestMessage(TrackingMessage(type: .track, messageId: "p\(index)-\(view)", userId: userId, name: "Page Viewed", properties: ["path": "/pricing"])))
            }
            for view in 0..<Int(random.next() % 4) {
                messages.append(IngestMessage(TrackingMessage(type: .track, messageId: "b\(index)-\(view)", userId: userId, name: "Page Viewed", properties: ["path": "/blog/x"])))
            }
            plan.append((userId, accepted))
        }
        _ = try await fixture.store.ingest([IngestBatch(source: "web", receivedAt: fixture.clock.now(), messages: messages)])
        for (userId, accepted) in plan {
            let id = try #require(try await fixture.store.contacts(ContactQuery(userId: userId)).first?.id)
            let handoff = try await fixture.store.createHandoff(
                NewHandoff(key: "k-\(userId)", contactId: id, owner: owner, team: owner.team, reason: "test", assignmentReason: "test", context: [:],
                           dueAt: fixture.clock.now(), remindAt: nil, cursor: nil, webhookURL: nil, at: fixture.clock.now())).handoff
            _ = try await fixture.store.recordFeedback(
                handoffId: handoff.id, accepted ? .accepted : .rejected(.notAFit, note: nil), stage: nil, clearOwner: false, at: fixture.clock.now())
        }
        let training = try await fixture.sales.train()
        #expect(training.auc > 0.7, "held-out AUC \(training.auc)")
        #expect(training.heldOut == 100 && training.trainedOn == 300)
        #expect(Set(training.ranking.prefix(2).map(\.feature)) == ["pricing_views", "senior_title"], "\(training.ranking.prefix(4))")
        // The model score shows beside the rule score.
        let someone = try #require(try await fixture.store.contacts(ContactQuery(userId: "t1")).first?.id)
        let predicted = try #require(try await fixture.sales.predict(contactId: someone))
        #expect(predicted["version"] == .int(Int64(training.version)) && predicted["topFeatures"]?.arrayValue?.count == 3)
    }

    @Test func tooFewOutcomesIsAClearError() async throws {
        let fixture = try await SalesFixture()
        await #expect(throws: SalesService.TrainingError.self) { try await fixture.sales.train() }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// A value one task leaves for another.
actor Slot<Value: Sendable> {
    var value: Value?
    func set(_ value: Value?) { self.value = value }
}

@Suite struct WebhookTests {
    static let secret = "crm-webhook-secret-0123456789"

    @Test func anUnreachableCRMIsRetriedThenDeadLetteredAndVisible() async throws {
        // Port 9 (discard) on loopback: nothing listens, so every attempt fails.
        let fixture = try await SalesFixture { $0.handoff.webhook = WebhookTarget(url: "http://127.0.0.1:9/hook", secret: WebhookTests.secret, maxAttempts: 3) }
        _ = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        var report = try await fixture.sales.drain()
        #expect(report.handedOff == 1 && report.webhooksFailed == 1)
        fixture.clock.advance(milliseconds: 30_000)
        report = try await fixture.sales.drain()
        #expect(report.webhooksFailed == 1)
        fixture.clock.advance(milliseconds: 60_000)
        report = try await fixture.sales.drain()
        #expect(report.webhooksFailed == 1)
        try await fixture.mail.server.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/webhooks/deliveries?status=dead", method: .get, headers: fixture.mail.server.bearer(.read)) { response in
                let dead = response.body.json["items"]?.arrayValue ?? []
                #expect(dead.count == 1 && dead.first?["attempts"] == .int(3))
                #expect(dead.first?["lastError"]?.stringValue?.contains("gave up after 3 attempts") == true)
            }
        }
    }

    @Test func anOwnersAlertWaitsOutAnSMTPOutage() async throws {
        let fixture = try await SalesFixture()
        await fixture.mail.transport.failNext(SMTPFailure(stage: "connect", reply: nil, transient: true, message: "connection refused"))
        _ = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        let report = try await fixture.sales.drain()
        #expect(report.handedOff == 1 && report.webhooksFailed == 1)
        #expect(await fixture.mail.sent().isEmpty)
        fixture.clock.advance(milliseconds: 30_000)
        #expect(try await fixture.sales.drain().webhooksDelivered == 1)
        #expect(await fixture.mail.sent().map(\.recipients) == [["lena@acme.example"]])
    }

    /// A call that outlives its claim's lease is delivered again by the pass that claims it next;
    /// only that pass records and counts the delivery.
    @Test func aDeliveryWhoseClaimRanOutIsCountedOnceByThePassThatRecordsIt() async throws {
        let fixture = try await SalesFixture()
        _ = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        let sales = fixture.sales, clock = fixture.clock
        let second = Slot<SalesService.Report>()
        await fixture.mail.transport.whileDeliveringNext {
            clock.advance(milliseconds: 121_000)  // past the 120 s lease
            await second.set(try? await sales.drain())
        }
        let first = try await sales.drain()
        #expect(first.handedOff == 1)
        #expect(first.webhooksDelivered == 0 && first.webhooksSuperseded == 1)
        let other = await second.value
        #expect(other?.webhooksDelivered == 1 && other?.webhooksSuperseded == 0)
        #expect(await fixture.mail.sent().map(\.recipients) == [["lena@acme.example"], ["lena@acme.example"]])
        let delivered = try await fixture.store.webhookDeliveries(status: .delivered, limit: 5)
        #expect(delivered.count == 1 && delivered.first?.attempts == 2)
    }

    @Test func theCRMCallbackMustBeSignedAndFresh() async throws {
        let fixture = try await SalesFixture { $0.handoff.webhook = WebhookTarget(url: "http://127.0.0.1:9/hook", secret: WebhookTests.secret, maxAttempts: 3) }
        let id = try await fixture.mql("u1", email: "ada@example.com", country: "DE")
        _ = try await fixture.sales.drain()
        let handoff = try #require(try await fixture.store.handoffs(status: .open, owner: nil, contactId: id, limit: 1).first)
        let body = #"{"handoffId": \#(handoff.id), "outcome": "opportunity", "amount": 24000}"#
        let now = fixture.clock.now().millisecondsSinceEpoch / 1000
        try await fixture.mail.server.app.test(.router) { client in
            for (signature, expected) in [
                ("t=\(now),v1=" + String(repeating: "0", count: 64), HTTPResponse.Status.unauthorized),
                (WebhookClient.signature(body: body, secret: WebhookTests.secret, at: now - 600), .unauthorized),
                (WebhookClient.signature(body: body, secret: "another-secret-0123456789", at: now), .unauthorized),
                (WebhookClient.signature(body: body, secret: WebhookTests.secret, at: now), .ok),
            ] {
                try await client.execute(
                    uri: "/api/v1/crm/callback", method: .post, headers: [.contentType: "application/json", .init("X-Trellis-Signature")!: signature],
                    body: ByteBuffer(string: body)
                ) { #expect($0.status == expected) }
            }
        }
        let updated = try #require(try await fixture.store.handoff(id: handoff.id))
        #expect(updated.status == .opportunity && updated.amount == 24_000)
        #expect(try await fixture.store.contact(id: id)?.stage == .opportunity)
    }
}
