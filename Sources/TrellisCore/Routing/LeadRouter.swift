/// Who gets a lead, and why. Pure: the caller passes the owners' open handoffs and the
/// round-robin positions, and stores the decision with its reason.
///
/// Order: the owner of the lead's account (account affinity) while under capacity; else the first
/// team whose territory the lead matches, and in it the next owner in turn (round robin) with
/// room; when everyone is at capacity, the least loaded.
public struct LeadRouter: Sendable {
    public let setup: SalesSetup
    let evaluator = RuleEvaluator()

    public init(setup: SalesSetup) {
        self.setup = setup
    }

    public struct Decision: Sendable, Equatable {
        public var owner: SalesOwner
        public var team: String
        public var reason: String
        /// The team's round-robin position after this assignment, to store.
        public var cursor: Int?
    }

    /// - Parameters:
    ///   - accountOwner: who owns other leads of the same account, if anyone.
    ///   - loads: open handoffs per owner id.
    ///   - cursors: each team's last round-robin position.
    ///   - excluding: owners not to pick (the one whose SLA lapsed).
    public func route(
        _ facts: ContactFacts, accountOwner: String?, loads: [String: Int], cursors: [String: Int], excluding: Set<String> = [], at now: Timestamp
    ) -> Decision? {
        if let accountOwner, !excluding.contains(accountOwner), let owner = setup.owner(accountOwner), loads[owner.id, default: 0] < owner.capacity {
            let account = facts.account?.name ?? facts.account?.groupId ?? "the account"
            return Decision(owner: owner, team: owner.team, reason: "account affinity: \(owner.name) owns \(account)", cursor: nil)
        }
        for team in setup.teams {
            var why = "no territory rule (takes the rest)"
            if let territory = team.territory {
                let outcome = evaluator.explain(territory, for: facts, at: now)
                guard outcome.matched else { continue }
                why = outcome.reasons.filter(\.held).map(\.text).joined(separator: "; ")
            }
            let members = setup.owners.filter { $0.team == team.name && !excluding.contains($0.id) }
            guard !members.isEmpty else { continue }
            let last = cursors[team.name] ?? -1
            for step in 1...members.count {
                let index = (last + step) % members.count
                let owner = members[index]
                if loads[owner.id, default: 0] < owner.capacity {
                    return Decision(owner: owner, team: team.name, reason: "territory \(team.name) (\(why)); round robin", cursor: index)
                }
            }
            let least = members.min { loads[$0.id, default: 0] < loads[$1.id, default: 0] }!
            return Decision(owner: least, team: team.name, reason: "territory \(team.name) (\(why)); everyone at capacity, least loaded", cursor: nil)
        }
        return nil
    }

    /// The first next step whose rule holds, for the handoff's storyline.
    public func suggestedNextStep(_ facts: ContactFacts, at now: Timestamp) -> String? {
        setup.nextSteps.first { evaluator.evaluate($0.when, for: facts, at: now).matched }?.suggest
    }
}
