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
    /// Contacts with ids in this range only (nil: all). Scans of disjoint ranges run in parallel.
    var range: ClosedRange<Int64>? = nil

    struct Match {
        var contactId: Int64
        var nextCheck: Timestamp?
    }

    /// Calls `visit` for every contact with the outcome; returns the number of contacts.
    func run(progress: (Int, Int) -> Void, visit: (Int64, RuleOutcome) -> Void) throws -> Int {
        let bounds = range ?? Int64.min...Int64.max
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM contacts WHERE id BETWEEN ? AND ?", arguments: [bounds.lowerBound, bounds.upperBound]) ?? 0
        let needs = Needs(rule)
        // Events come sorted by contact, so they merge into the contact stream without a map.
        var streams = try needs.events.keys.sorted().map { try EventStream(db: db, name: $0, need: needs.events[$0]!, now: now, range: bounds) }
        let accounts = needs.accounts ? try loadAccounts() : [:]
        let scores = needs.scores ? try loadScores() : [:]
        let members = try loadMemberships(needs.segments)
        let evaluator = RuleEvaluator()
        var done = 0
        var grouped: [Int64: [ContactFacts]] = [:]
        var ungrouped: [ContactFacts] = []
        let cursor = try Row.fetchCursor(db, sql: contactsSQL(needs), arguments: [bounds.lowerBound, bounds.upperBound])
        while let row = try cursor.next() {
            var facts = try makeFacts(row, needs: needs, accounts: accounts)
            let id = facts.contact.id
            for index in streams.indices {
                let events = try streams[index].take(contactId: id)
                if !events.isEmpty { facts.eventsByName[streams[index].name] = events }
            }
            if let score = scores[id] { facts.scores = score }
            for (name, ids) in members where ids.contains(id) { facts.memberships.insert(name) }
            if needs.aggregates {
                // Account rules need the colleagues: collect first, evaluate after.
                if let accountId = facts.contact.accountId { grouped[accountId, default: []].append(facts) } else { ungrouped.append(facts) }
                continue
            }
            visit(id, evaluator.evaluate(rule, for: facts, at: now))
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
        }
        progress(total, total)
        return total
    }

    /// One event name's rows within its window, in contact order, with only the filtered properties.
    struct EventStream {
        let name: String
        let paths: [[String]]
        let cursor: RowCursor
        var pending: (contactId: Int64, fact: EventFact)?
        var finished = false

        init(
            db: Database, name: String, need: (window: RuleDuration?, unbounded: Bool, paths: Set<[String]>), now: Timestamp, range: ClosedRange<Int64>
        ) throws {
            self.name = name
            paths = need.paths.sorted { $0.joined(separator: ".") < $1.joined(separator: ".") }
            let extracts = paths.map { ", properties -> '\(SegmentScan.jsonPath($0))'" }.joined()
            let since = need.unbounded ? Int64.min : now.subtracting(need.window!).millisecondsSinceEpoch
            cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT contact_id, timestamp\(extracts) FROM events
                    -- +contact_id: keep the planner on the rule-name index; the range only filters.
                    WHERE \(SQLiteStore.ruleNameSQL) = ? AND type IN ('track', 'page', 'screen') AND timestamp >= ? AND +contact_id BETWEEN ? AND ?
                    ORDER BY contact_id
                    """, arguments: [name, since, range.lowerBound, range.upperBound])
        }

        /// The events of `contactId`; contacts must be asked for in increasing id order.
        mutating func take(contactId: Int64) throws -> [EventFact] {
            var facts: [EventFact] = []
            while true {
                if pending == nil {
                    guard !finished, let row = try cursor.next() else {
                        finished = true
                        return facts
                    }
                    var properties: [String: JSONValue] = [:]
                    for (index, path) in paths.enumerated() {
                        if let text: String = row[2 + index], let value = try? JSONParser.parse(Array(text.utf8)) { properties.setValue(value, at: path) }
                    }
                    pending = (row[0], EventFact(timestamp: Timestamp(millisecondsSinceEpoch: row[1]), properties: properties))
                }
                guard let next = pending, next.contactId <= contactId else { return facts }
                if next.contactId == contactId { facts.append(next.fact) }
                pending = nil
            }
        }
    }

    /// What the rule reads, so the scan reads nothing else.
    struct Needs {
        var traits: [[String]] = []
        /// Whether the rule reads email, user id or owner (else those texts are not loaded).
        var identity = false
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
                    if reference.scope == .contact, reference.path.count == 1, ["email", "user_id", "userId", "owner"].contains(reference.path[0]) { identity = true }
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
        var columns = needs.identity ? ["id", "email", "user_id", "stage", "owner"] : ["id", "NULL", "NULL", "stage", "NULL"]
        columns += ["account_id", "first_seen", "last_seen"]
        if needs.consent {
            // Most contacts have no consent record yet: skip the JSON work for them.
            columns += ["$.email.status", "$.email.basis", "$.email.recordedAt", "$.email.expiresAt"].map {
                "CASE WHEN consent = '{}' THEN NULL ELSE json_extract(consent, '\($0)') END"
            }
        }
        for path in needs.traits { columns.append("traits -> '\(Self.jsonPath(path))'") }
        return "SELECT \(columns.joined(separator: ", ")) FROM contacts WHERE id BETWEEN ? AND ? ORDER BY id"
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
            // `->` gives the value as JSON text: one call tells the type and the value.
            if let text: String = row[column], let value = try? JSONParser.parse(Array(text.utf8)), !value.isNull { contact.traits.setValue(value, at: path) }
            column += 1
        }
        return ContactFacts(contact: contact, account: contact.accountId.flatMap { accounts[$0] })
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
        // The stored columns are enough for a reading; decoding every state would be slow.
        let cursor = try Row.fetchCursor(
            db, sql: "SELECT contact_id, fit, engagement, engagement_at FROM contact_scores WHERE model = ?", arguments: [scorer.model.name])
        while let row = try cursor.next() {
            var state = ScoreState()
            state.fit = ["stored": row[1]]
            state.engagement = row[2]
            state.engagementAt = (row[3] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:))
            scores[row[0]] = scorer.readings(state, at: now)
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
