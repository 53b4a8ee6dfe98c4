/// Credit for influenced pipeline across the touches that came before it: first touch, last
/// touch, linear (equal shares), or position-based (40 % first, 40 % last, 20 % shared by the
/// ones between).
///
/// ```swift
/// Attribution.credit(touches: ["campaign: spring", "email: case-study", "form: demo"], value: 10_000, model: .positionBased)
/// // ["campaign: spring": 4000, "email: case-study": 2000, "form: demo": 4000]
/// ```
public enum Attribution {
    public enum Model: String, Sendable, CaseIterable { case firstTouch = "first_touch", lastTouch = "last_touch", linear, positionBased = "position_based" }

    public static func credit(touches: [String], value: Double, model: Model) -> [String: Double] {
        guard let first = touches.first, let last = touches.last else { return [:] }
        var credit: [String: Double] = [:]
        switch model {
        case .firstTouch: credit[first] = value
        case .lastTouch: credit[last] = value
        case .linear:
            for touch in touches { credit[touch, default: 0] += value / Double(touches.count) }
        case .positionBased:
            switch touches.count {
            case 1: credit[first] = value
            case 2:
                credit[first, default: 0] += value / 2
                credit[last, default: 0] += value / 2
            default:
                credit[first, default: 0] += value * 0.4
                credit[last, default: 0] += value * 0.4
                let middle = touches.dropFirst().dropLast()
                for touch in middle { credit[touch, default: 0] += value * 0.2 / Double(middle.count) }
            }
        }
        return credit
    }

    /// What marketing touch an event is, if any: a campaign (UTM), an email click, or a form.
    public static func touch(name: String?, properties: [String: JSONValue], context: [String: JSONValue]) -> String? {
        let campaign = context["campaign"]?.objectValue ?? [:]
        if let label = campaign["name"]?.stringValue ?? campaign["source"]?.stringValue ?? properties["utm_campaign"]?.stringValue
            ?? properties["utm_source"]?.stringValue
        {
            return "campaign: \(label)"
        }
        switch name {
        case "Email Clicked": return "email: \(properties["email"]?.stringValue ?? "unknown")"
        case "Form Submitted": return "form: \(properties["form"]?.stringValue ?? properties["formKey"]?.stringValue ?? "unknown")"
        default: return nil
        }
    }

    /// Touches in order, with repeats of the same touch in a row counted once.
    public static func collapse(_ touches: [String]) -> [String] {
        touches.reduce(into: []) { if $0.last != $1 { $0.append($1) } }
    }
}
