extension SalesSetup {
    /// Reads the sales file as JSON (YAML goes through the server's YAML reader first); errors
    /// name the path (`owners[2].hours.start`).
    public init(json: JSONValue) throws(InputError) {
        let reader = try ObjectReader(json, path: "")
        try reader.rejectUnknown(["handoff", "teams", "owners", "next_steps"])
        var policy = HandoffPolicy()
        if let value = reader.object["handoff"] { policy = try Self.policy(value) }
        guard case .array(let teamValues)? = reader.object["teams"], !teamValues.isEmpty else {
            throw InputError.invalid("teams", "teams must list at least one team ({ name, territory })")
        }
        var teams: [SalesTeam] = []
        for (index, value) in teamValues.enumerated() {
            let path = "teams[\(index)]."
            let team = try ObjectReader(value, path: path)
            try team.rejectUnknown(["name", "lead", "territory"])
            let name = try team.string("name", required: true)!
            if teams.contains(where: { $0.name == name }) { throw InputError.invalid(path + "name", "team \(name) appears twice") }
            let territory = try team.object["territory"].map { rule throws(InputError) in try Rule(json: rule, path: path + "territory") }
            teams.append(SalesTeam(name: name, lead: try team.string("lead"), territory: territory))
        }
        guard case .array(let ownerValues)? = reader.object["owners"], !ownerValues.isEmpty else {
            throw InputError.invalid("owners", "owners must list at least one sales owner ({ id, name, email, team })")
        }
        var owners: [SalesOwner] = []
        for (index, value) in ownerValues.enumerated() {
            let path = "owners[\(index)]."
            let owner = try ObjectReader(value, path: path)
            try owner.rejectUnknown(["id", "name", "email", "team", "capacity", "hours"])
            let id = try owner.string("id", required: true)!
            if owners.contains(where: { $0.id == id }) { throw InputError.invalid(path + "id", "owner \(id) appears twice") }
            let team = try owner.string("team", required: true)!
            guard teams.contains(where: { $0.name == team }) else {
                throw InputError.invalid(path + "team", "no team named \(team) (teams: \(teams.map(\.name).joined(separator: ", ")))")
            }
            let email = try owner.string("email", required: true)!
            guard Traits.isPlausibleEmail(email) else { throw InputError.invalid(path + "email", "\(email) is not an email address") }
            let capacity = try owner.int("capacity") ?? 25
            guard capacity > 0 else { throw InputError.invalid(path + "capacity", "capacity must be above 0") }
            var hours = WorkingHours()
            if let value = owner.object["hours"] { hours = try Self.hours(value, path: path + "hours.") }
            owners.append(SalesOwner(id: id, name: try owner.string("name") ?? id, email: email, team: team, capacity: capacity, hours: hours))
        }
        for team in teams where !owners.contains(where: { $0.team == team.name }) {
            throw InputError.invalid("teams", "team \(team.name) has no owners")
        }
        var nextSteps: [NextStepRule] = []
        if case .array(let values)? = reader.object["next_steps"] {
            for (index, value) in values.enumerated() {
                let path = "next_steps[\(index)]."
                let step = try ObjectReader(value, path: path)
                try step.rejectUnknown(["when", "suggest"])
                guard let when = step.object["when"] else { throw InputError.missing(path + "when") }
                nextSteps.append(NextStepRule(when: try Rule(json: when, path: path + "when"), suggest: try step.string("suggest", required: true)!))
            }
        }
        self.init(handoff: policy, teams: teams, owners: owners, nextSteps: nextSteps)
    }

    static func policy(_ value: JSONValue) throws(InputError) -> HandoffPolicy {
        let reader = try ObjectReader(value, path: "handoff.")
        try reader.rejectUnknown(["stage", "sla", "webhook", "rejected"])
        var policy = HandoffPolicy()
        if let stage = try reader.string("stage") {
            guard let parsed = LifecycleStage(label: stage) else { throw InputError.invalid("handoff.stage", "unknown stage \(stage)") }
            policy.stage = parsed
        } else if reader.object["stage"]?.isNull == true {
            policy.stage = nil
        }
        if let sla = reader.object["sla"] {
            let slaReader = try ObjectReader(sla, path: "handoff.sla.")
            try slaReader.rejectUnknown(["within", "remind_after", "on_lapse"])
            if let within = try slaReader.string("within") { policy.slaHours = try Self.hoursDuration(within, field: "handoff.sla.within") }
            if let remind = try slaReader.string("remind_after") { policy.remindAfterHours = try Self.hoursDuration(remind, field: "handoff.sla.remind_after") }
            if let lapse = try slaReader.string("on_lapse") {
                guard let action = HandoffPolicy.LapseAction(rawValue: lapse) else {
                    throw InputError.invalid("handoff.sla.on_lapse", "on_lapse must be reassign or escalate, got \(lapse)")
                }
                policy.onLapse = action
            }
        }
        if let webhook = reader.object["webhook"] {
            let hook = try ObjectReader(webhook, path: "handoff.webhook.")
            try hook.rejectUnknown(["url", "secret", "max_attempts"])
            let url = try hook.string("url", required: true)!
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                throw InputError.invalid("handoff.webhook.url", "url must be an http(s) address, got \(url)")
            }
            policy.webhook = WebhookTarget(url: url, secret: try hook.string("secret") ?? "", maxAttempts: try hook.int("max_attempts") ?? 8)
        }
        if let rejected = reader.object["rejected"] {
            let paths = try ObjectReader(rejected, path: "handoff.rejected.")
            try paths.rejectUnknown(Set(RejectionReason.allCases.map(\.rawValue)))
            for reason in RejectionReason.allCases {
                guard let text = try paths.string(reason.rawValue) else { continue }
                guard let path = RejectionPath(rawValue: text) else {
                    throw InputError.invalid("handoff.rejected.\(reason.rawValue)", "must be disqualified or nurture, got \(text)")
                }
                policy.rejected[reason] = path
            }
        }
        return policy
    }

    /// `4h`, `90m`, `1d` (a day of business hours is 8).
    static func hoursDuration(_ text: String, field: String) throws(InputError) -> Double {
        guard let duration = RuleDuration(parsing: text) else { throw InputError.invalid(field, "\(field) must be a duration such as 4h or 90m") }
        if text.hasSuffix("d") { return Double(duration.milliseconds / 86_400_000) * 8 }
        return Double(duration.milliseconds) / 3_600_000
    }

    static func hours(_ value: JSONValue, path: String) throws(InputError) -> WorkingHours {
        let reader = try ObjectReader(value, path: path)
        try reader.rejectUnknown(["zone", "days", "start", "end"])
        var hours = WorkingHours()
        if let zone = try reader.string("zone") { hours.zone = zone }
        if case .array(let items)? = reader.object["days"] {
            var days: Set<Weekday> = []
            for item in items {
                guard let day = item.stringValue.flatMap(Weekday.init(rawValue:)) else {
                    throw InputError.invalid(path + "days", "days must list weekdays (mon … sun)")
                }
                days.insert(day)
            }
            hours.days = days
        }
        for key in ["start", "end"] {
            guard let text = try reader.string(key) else { continue }
            guard let minutes = QuietHours.minutes(text) else { throw InputError.invalid(path + key, "\(key) must be a time such as 09:00, got \(text)") }
            if key == "start" { hours.start = minutes } else { hours.end = minutes }
        }
        guard hours.start < hours.end else { throw InputError.invalid(path + "end", "end must be after start") }
        return hours
    }
}
