import Foundation
import GRDB
import TrellisCore

/// Evaluates one rule over every contact by streaming, without loading whole profiles: only the
/// traits the rule names (`json_extract` in SQL), the events it counts (through the rule-name
/// index, within its window), and scores, consent and memberships when it tests them.
struct SegmentScan {
    let db: Database
    let rule: Rule
    let scorer: LeadScorer?
    let now: Timestamp

    struct Match {
        var contactId: Int64
        var nextCheck: Timestamp?
    }

    /// Calls `visit` for every contact with the outcome; returns the number of contacts.
    func run(progress: (Int, Int) -> Void, visit: (Int64, RuleOutcome) -> Void) throws -> Int {
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM contacts") ?? 0
        let needs = Needs(rule)
        let events = try loadEvents(needs)
        let accounts = needs.accounts ? try loadAccounts() : [:]
        let scores = needs.scores ? try loadScores() : [:]
        let members = try loadMemberships(needs.segments)
        let evaluator = RuleEvaluator()
        var done = 0
        var grouped: [Int64: [ContactFacts]] = [:]
        var ungrouped: [ContactFacts] = []
        let cursor = try Row.fetchCursor(db, sql: contactsSQL(needs))
        while let row = try cursor.next() {
            var facts = try makeFacts(row, needs: needs, accounts: accounts)
            facts.eventsByName = events[facts.contact.id] ?? [:]
            if let score = scores[facts.contact.id] { facts.scores = score }
            for (name, ids) in members where ids.contains(facts.contact.id) { facts.memberships.insert(name) }
            if needs.aggregates {
                // Account rules need the colleagues: collect first, evaluate after.
                if let accountId = facts.contact.accountId { grouped[accountId, default: []].append(facts) } else { ungrouped.append(facts) }
                continue
            }
            visit(facts.contact.id, evaluator.evaluate(rule, for: facts, at: now))
            done += 1
            if done % 20_000 == 0 { progress(done, total) }
        }
        if needs.aggregates {
            for facts in ungrouped { visit(facts.contact.id, evaluator.evaluate(rule, for: facts, at: now)) }
            for (_, group) in grouped {
                for (index, member) in group.enumerated() {
                    var facts = member
                    facts.others = group.enumerated().filter { $0.offset != index }.map(\.element)
                    visit(facts.contact.id, evaluator.evaluate(rule, for: facts, at: now))
                }
            }
            done = total
        }
        progress(total, total)
        return total
    }

    /// What the rule reads, so the scan reads nothing else.
    struct Needs {
        var traits: [[String]] = []
        var accounts = false
        var aggregates = false
        var consent = false
        var scores = false
        var segments: Set<String> = []
        /// Per event name: the widest window (nil: all time) and the property paths filtered on.
        var events: [String: (window: RuleDuration?, unbounded: Bool, paths: Set<[String]>)] = [:]

        init(_ rule: Rule) {
            var traitSet: Set<[String]> = []
            rule.visit { rule in
                switch rule {
                case .trait(let reference, _):
                    if reference.scope == .contact { traitSet.insert(reference.path) } else { accounts = true }
                case .event(let condition):
                    var entry = events[condition.name] ?? (nil, false, [])
                    if let within = condition.within { entry.window = max(entry.window ?? within, within) } else { entry.unbounded = true }
                    for filter in condition.filters { entry.paths.insert(filter.path) }
                    events[condition.name] = entry
                case .unsubscribed, .consented: consent = true
                case .score: scores = true
                case .inSegment(let name): segments.insert(name)
                case .account: accounts = true; aggregates = true
                default: break
                }
            }
            traits = traitSet.sorted { $0.joined(separator: ".") < $1.joined(separator: ".") }
        }
    }

    static func jsonPath(_ path: [String]) -> String {
        "$" + path.map { ".\"" + $0.replacingOccurrences(of: "\"", with: "") + "\"" }.joined()
    }

    func contactsSQL(_ needs: Needs) -> String {
        var columns = ["id", "email", "user_id", "stage", "owner", "account_id", "first_seen", "last_seen"]
        if needs.consent {
            columns += ["json_extract(consent, '$.email.status')", "json_extract(consent, '$.email.basis')", "json_extract(consent, '$.email.recordedAt')",
                "json_extract(consent, '$.email.expiresAt')"]
        }
        for path in needs.traits {
            let json = Self.jsonPath(path)
            columns += ["json_extract(traits, '\(json)')", "json_type(traits, '\(json)')"]
        }
        return "SELECT \(columns.joined(separator: ", ")) FROM contacts ORDER BY id"
    }

    func makeFacts(_ row: Row, needs: Needs, accounts: [Int64: Account]) throws -> ContactFacts {
        var contact = Contact(
            id: row[0], userId: row[2], email: row[1], stage: (row[3] as String?).flatMap(LifecycleStage.init(rawValue:)), owner: row[4],
            accountId: row[5], firstSeen: Timestamp(millisecondsSinceEpoch: row[6]), lastSeen: Timestamp(millisecondsSinceEpoch: row[7]))
        var column = 8
        if needs.consent {
            if let status = (row[column] as String?).flatMap(ConsentStatus.init(rawValue:)) {
                contact.consent.email = ChannelConsent(
                    status: status, basis: (row[column + 1] as String?).flatMap(ConsentBasis.init(rawValue:)) ?? .express,
                    recordedAt: (row[column + 2] as String?).flatMap(ISO8601.parse) ?? contact.firstSeen,
                    expiresAt: (row[column + 3] as String?).flatMap(ISO8601.parse))
            }
            column += 4
        }
        for path in needs.traits {
            if let value = try Self.jsonValue(row[column] as DatabaseValue, type: row[column + 1]) { contact.traits.setValue(value, at: path) }
            column += 2
        }
        return ContactFacts(contact: contact, account: contact.accountId.flatMap { accounts[$0] })
    }

    static func jsonValue(_ value: DatabaseValue, type: String?) throws -> JSONValue? {
        switch value.storage {
        case .null: return nil
        case .int64(let number): return type == "true" ? .bool(true) : type == "false" ? .bool(false) : .int(number)
        case .double(let number): return .double(number)
        case .string(let text): return type == "array" || type == "object" ? try JSONValue(jsonText: text) : .string(text)
        case .blob: return nil
        }
    }

    func loadEvents(_ needs: Needs) throws -> [Int64: [String: [EventFact]]] {
        var byContact: [Int64: [String: [EventFact]]] = [:]
        for (name, need) in needs.events {
            let paths = need.paths.sorted { $0.joined(separator: ".") < $1.joined(separator: ".") }
            let extracts = paths.map { ", json_extract(properties, '\(Self.jsonPath($0))'), json_type(properties, '\(Self.jsonPath($0))')" }.joined()
            let since = need.unbounded ? Int64.min : now.subtracting(need.window!).millisecondsSinceEpoch
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT contact_id, timestamp\(extracts) FROM events
                    WHERE \(SQLiteStore.ruleNameSQL) = ? AND type IN ('track', 'page', 'screen') AND timestamp >= ? AND contact_id IS NOT NULL
                    """, arguments: [name, since])
            while let row = try cursor.next() {
                var properties: [String: JSONValue] = [:]
                for (index, path) in paths.enumerated() {
                    if let value = try Self.jsonValue(row[2 + index * 2] as DatabaseValue, type: row[3 + index * 2]) { properties.setValue(value, at: path) }
                }
                byContact[row[0], default: [:]][name, default: []].append(EventFact(timestamp: Timestamp(millisecondsSinceEpoch: row[1]), properties: properties))
            }
        }
        return byContact
    }

    func loadAccounts() throws -> [Int64: Account] {
        let rows = try Row.fetchAll(db, sql: "SELECT id, group_id, name, traits, created_at, updated_at FROM accounts")
        var accounts: [Int64: Account] = [:]
        for row in rows {
            accounts[row[0]] = Account(
                id: row[0], groupId: row[1], name: row[2], traits: try JSONValue.column(row[3], "accounts.traits"),
                createdAt: Timestamp(millisecondsSinceEpoch: row[4]), updatedAt: Timestamp(millisecondsSinceEpoch: row[5]))
        }
        return accounts
    }

    func loadScores() throws -> [Int64: [ScoreDimension: ScoreReading]] {
        guard let scorer else { return [:] }
        var scores: [Int64: [ScoreDimension: ScoreReading]] = [:]
        let cursor = try Row.fetchCursor(db, sql: "SELECT contact_id, state FROM contact_scores WHERE model = ?", arguments: [scorer.model.name])
        while let row = try cursor.next() {
            scores[row[0]] = scorer.readings(try JSONDecoderShim.decode(ScoreState.self, row[1]), at: now)
        }
        return scores
    }

    func loadMemberships(_ names: Set<String>) throws -> [String: Set<Int64>] {
        var members: [String: Set<Int64>] = [:]
        for name in names {
            members[name] = Set(
                try Int64.fetchAll(
                    db, sql: "SELECT m.contact_id FROM segment_members m JOIN segments s ON s.id = m.segment_id WHERE s.name = ?", arguments: [name]))
        }
        return members
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Sets the value at a dotted path, creating the objects on the way.
    mutating func setValue(_ value: JSONValue, at path: [String]) {
        guard let first = path.first else { return }
        if path.count == 1 {
            self[first] = value
            return
        }
        var inner = self[first]?.objectValue ?? [:]
        inner.setValue(value, at: Array(path.dropFirst()))
        self[first] = .object(inner)
    }
}
