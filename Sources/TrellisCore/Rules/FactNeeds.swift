/// What a set of rules reads about a contact's events, so a store loads only that: the event
/// names, how far back, whose properties are filtered, and whether colleagues matter.
public struct FactNeeds: Sendable, Equatable {
    public var eventNames: Set<String>
    /// nil: all time.
    public var eventWindow: RuleDuration?
    public var filteredEventNames: Set<String>
    public var accountRules: Bool
    /// Whether segment memberships are read (`in_segment`).
    public var memberships: Bool

    public init(eventNames: Set<String>, eventWindow: RuleDuration?, filteredEventNames: Set<String>, accountRules: Bool, memberships: Bool = true) {
        self.eventNames = eventNames
        self.eventWindow = eventWindow
        self.filteredEventNames = filteredEventNames
        self.accountRules = accountRules
        self.memberships = memberships
    }

    /// The needs of these rules together.
    public init(rules: [Rule]) {
        var names: Set<String> = []
        var filtered: Set<String> = []
        var windows: [RuleDuration?] = []
        var accounts = false
        var memberships = false
        for rule in rules {
            rule.visit { part in
                switch part {
                case .event(let condition):
                    names.insert(condition.name)
                    if !condition.filters.isEmpty { filtered.insert(condition.name) }
                    windows.append(condition.within)
                case .account: accounts = true
                case .inSegment: memberships = true
                default: break
                }
            }
        }
        self.init(
            eventNames: names, eventWindow: windows.contains { $0 == nil } ? nil : windows.compactMap { $0 }.max(), filteredEventNames: filtered,
            accountRules: accounts, memberships: memberships)
    }
}

extension Qualifier {
    public var needs: FactNeeds {
        FactNeeds(eventNames: eventNames, eventWindow: eventWindow, filteredEventNames: filteredEventNames, accountRules: catalog.usesAccountAggregates)
    }
}
