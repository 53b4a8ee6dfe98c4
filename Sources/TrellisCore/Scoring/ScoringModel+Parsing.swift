extension ScoringModel {
    /// Reads a model; errors name the path (`engagement[2].cap.per`).
    public init(json: JSONValue) throws(InputError) {
        let reader = try ObjectReader(json, path: "")
        try reader.rejectUnknown(["model", "fit", "engagement", "inactivity", "decay", "grades", "stages"])
        name = try reader.string("model", required: true)!
        source = json
        fit = try Self.list(reader.object["fit"], path: "fit") { item, path throws(InputError) in
            let rule = try ObjectReader(item, path: path + ".")
            try rule.rejectUnknown(["id", "when", "points", "reason"])
            let id = try rule.string("id", required: true)!
            guard let when = rule.object["when"] else { throw InputError.missing("\(path).when") }
            return FitRule(id: id, when: try Rule(json: when, path: "\(path).when"), points: try Self.points(rule, path: path), reason: try rule.string("reason") ?? id)
        }
        engagement = try Self.list(reader.object["engagement"], path: "engagement") { item, path throws(InputError) in
            let rule = try ObjectReader(item, path: path + ".")
            try rule.rejectUnknown(["id", "event", "where", "points", "cap", "reason"])
            let id = try rule.string("id", required: true)!
            let event = try EventCondition(kind: "event", object: rule.object.filter { $0.key == "event" || $0.key == "where" }, path: path)
            var cap: (Double, RuleDuration)?
            if let capValue = rule.object["cap"] {
                let capReader = try ObjectReader(capValue, path: "\(path).cap.")
                try capReader.rejectUnknown(["max", "per"])
                guard let max = capReader.object["max"]?.numericValue, max > 0 else { throw InputError.invalid("\(path).cap.max", "\(path).cap.max must be a positive number") }
                guard let per = capReader.object["per"] else { throw InputError.missing("\(path).cap.per") }
                cap = (max, try RuleDuration.read(per, field: "\(path).cap.per"))
            }
            return EngagementRule(
                id: id, event: event.name, filters: event.filters, points: try Self.points(rule, path: path), cap: cap, reason: try rule.string("reason") ?? id)
        }
        try Self.checkUnique(fit.map(\.id) + engagement.map(\.id))
        if let value = reader.object["inactivity"] {
            let rule = try ObjectReader(value, path: "inactivity.")
            try rule.rejectUnknown(["every", "points", "reason"])
            guard let every = rule.object["every"] else { throw InputError.missing("inactivity.every") }
            inactivity = InactivityRule(
                every: try RuleDuration.read(every, field: "inactivity.every"), points: try Self.points(rule, path: "inactivity"),
                reason: try rule.string("reason") ?? "No activity")
        }
        if let value = reader.object["decay"] {
            let decay = try ObjectReader(value, path: "decay.")
            try decay.rejectUnknown(["half_life"])
            guard let halfLife = decay.object["half_life"] else { throw InputError.missing("decay.half_life") }
            self.halfLife = try RuleDuration.read(halfLife, field: "decay.half_life")
        }
        grades = try Self.grades(reader.object["grades"])
        stages = try Self.list(reader.object["stages"], path: "stages") { item, path throws(InputError) in
            let rule = try ObjectReader(item, path: path + ".")
            try rule.rejectUnknown(["to", "when", "reason"])
            let label = try rule.string("to", required: true)!
            guard let stage = LifecycleStage(label: label), stage.isFunnel else {
                throw InputError.invalid("\(path).to", "\(path).to must be a funnel stage (lead, mql, sal, sql, opportunity, customer), got '\(label)'")
            }
            guard let when = rule.object["when"] else { throw InputError.missing("\(path).when") }
            return StageRule(to: stage, when: try Rule(json: when, path: "\(path).when"), reason: try rule.string("reason") ?? "Rule for \(stage.rawValue)")
        }
    }

    static func list<Item>(_ value: JSONValue?, path: String, _ read: (JSONValue, String) throws(InputError) -> Item) throws(InputError) -> [Item] {
        guard let value, !value.isNull else { return [] }
        guard case .array(let items) = value else { throw InputError.invalid(path, "\(path) must be a list") }
        var result: [Item] = []
        for (index, item) in items.enumerated() { result.append(try read(item, "\(path)[\(index)]")) }
        return result
    }

    static func points(_ reader: ObjectReader, path: String) throws(InputError) -> Double {
        guard let value = reader.object["points"] else { throw InputError.missing("\(path).points") }
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: throw InputError.invalid("\(path).points", "\(path).points must be a number, got \(value.shortDescription)")
        }
    }

    static func checkUnique(_ ids: [String]) throws(InputError) {
        var seen: Set<String> = []
        for id in ids where !seen.insert(id).inserted { throw InputError.invalid("id", "rule id '\(id)' is used twice") }
    }

    static func grades(_ value: JSONValue?) throws(InputError) -> [(grade: FitGrade, minimum: Double)] {
        guard let value, !value.isNull else { return [(.a, 40), (.b, 25), (.c, 10)] }
        let reader = try ObjectReader(value, path: "grades.")
        try reader.rejectUnknown(["A", "B", "C"])
        var grades: [(grade: FitGrade, minimum: Double)] = []
        for grade in [FitGrade.a, .b, .c] {
            guard let minimum = reader.object[grade.rawValue]?.numericValue else { throw InputError.missing("grades.\(grade.rawValue)", "grades needs A, B and C thresholds") }
            if let previous = grades.last, minimum >= previous.minimum {
                throw InputError.invalid("grades.\(grade.rawValue)", "grade \(grade.rawValue) needs fewer points than \(previous.grade.rawValue)")
            }
            grades.append((grade, minimum))
        }
        return grades
    }
}
