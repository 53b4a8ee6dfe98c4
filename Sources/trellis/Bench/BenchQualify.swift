import ArgumentParser
import Foundation
import TrellisCore
import TrellisServer

/// The qualify stage in the core alone, on one thread: events applied one by one to in-memory
/// contacts, each scored, stage-checked and re-evaluated against every segment.
struct BenchQualify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qualify", abstract: "Incremental membership and scoring in the core, one core: prints events/s.")

    @Option(help: "Segment definitions.") var segments = "examples/segments"
    @Option(help: "The scoring model.") var scoring = "examples/scoring/default.yaml"
    @Option(help: "Contacts.") var contacts = 20_000
    @Option(help: "Events to apply.") var events = 1_000_000
    @Option(help: "Contacts per account (for account rules).") var accountSize = 5

    func run() async throws {
        let definitions: [SegmentDefinition]
        let model: ScoringModel
        do {
            definitions = try RuleFiles.segments(directory: segments)
            model = try RuleFiles.scoringModel(file: scoring)
        } catch let error as FormFiles.LoadError {
            throw CommandFailure(error.description)
        }
        let qualifier = Qualifier(catalog: try SegmentCatalog(definitions), model: model)
        let start = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)
        var random = SplitMix64(seed: 42)
        var people = (0..<contacts).map { index in makeFacts(index, start: start, random: &random) }
        var scores = [ScoreState](repeating: ScoreState(), count: contacts)
        for index in people.indices { _ = qualifier.qualify(&people[index], score: &scores[index], newEvents: [], changes: .everything, at: start) }
        let stream = (0..<events).map { index in makeEvent(index, start: start, random: &random) }
        print("trellis bench qualify: \(definitions.count) segments, model '\(model.name)' (\(model.fit.count) fit, \(model.engagement.count) engagement, \(model.stages.count) stage rules), \(contacts) contacts, \(events) events, one thread")

        var entered = 0, exited = 0, stages = 0, changes = 0
        let began = BenchIngest.seconds()
        for (contact, event) in stream {
            if let name = event.name, qualifier.eventNames.contains(name) {
                people[contact].record(name: name, event.fact, keep: qualifier.eventWindow)
                people[contact].contact.lastSeen = event.fact.timestamp
            }
            let touched = FactChanges(eventNames: [event.name ?? ""], activity: true)
            if qualifier.catalog.needsColleagues(for: touched) {
                let first = contact - contact % accountSize
                var others: [ContactFacts] = []
                others.reserveCapacity(accountSize)
                for index in first..<min(first + accountSize, contacts) where index != contact { others.append(people[index]) }
                people[contact].others = others
            }
            let result = qualifier.qualify(&people[contact], score: &scores[contact], newEvents: [event], changes: touched, at: event.fact.timestamp)
            people[contact].others = []
            entered += result.membership.entered.count
            exited += result.membership.exited.count
            stages += result.stageChange == nil ? 0 : 1
            changes += result.scoreChanges.count
        }
        let elapsed = BenchIngest.seconds() - began
        print(String(format: "%d events in %.2f s: %.0f events/s (%.2f µs an event)", events, elapsed, Double(events) / elapsed, elapsed / Double(events) * 1e6))
        print("segment entries \(entered), exits \(exited), stage moves \(stages), score changes \(changes)")
    }

    static let titles = ["VP Marketing", "Marketing Manager", "Engineer", "Director of Sales", "Student", "CTO"]
    static let industries = ["Software", "Retail", "Healthcare", "Education"]

    func makeFacts(_ index: Int, start: Timestamp, random: inout SplitMix64) -> ContactFacts {
        let size = Int64(random.next() % 2000)
        let account = Account(
            id: Int64(index / accountSize + 1), groupId: "a\(index / accountSize)", name: nil, traits: ["employees": .int(size)], createdAt: start, updatedAt: start)
        let traits: [String: JSONValue] = [
            "email": .string("c\(index)@bench.example"), "title": .string(Self.titles[Int(random.next() % 6)]), "company_size": .int(size),
            "industry": .string(Self.industries[Int(random.next() % 4)]), "country": index % 2 == 0 ? "US" : "DE",
        ]
        return ContactFacts(contact: Contact(id: Int64(index + 1), email: "c\(index)@bench.example", traits: traits, accountId: account.id, firstSeen: start, lastSeen: start), account: account)
    }

    func makeEvent(_ index: Int, start: Timestamp, random: inout SplitMix64) -> (Int, NewEvent) {
        let contact = Int(random.next() % UInt64(contacts))
        let at = start.adding(milliseconds: Int64(index) * 5_000)
        let roll = random.next() % 100
        let (name, properties): (String, [String: JSONValue]) =
            switch roll {
            case 0..<6: ("Page Viewed", ["path": "/pricing"])
            case 6..<60: ("Page Viewed", ["path": .string("/blog/\(roll)")])
            case 60..<75: ("Email Opened", ["email": "newsletter"])
            case 75..<80: ("Email Clicked", ["email": "newsletter"])
            case 80..<83: ("Ebook Downloaded", ["title": "CRM migration guide"])
            case 83..<85: ("Webinar Registered", [:])
            case 85: ("Demo Requested", [:])
            default: ("Feature Used", ["feature": "export"])
            }
        return (contact, NewEvent(seq: Int64(index), name: name, fact: EventFact(timestamp: at, properties: properties)))
    }
}
