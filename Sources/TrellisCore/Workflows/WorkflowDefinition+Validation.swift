extension WorkflowDefinition {
    /// Everything wrong with the workflow as a graph, each with its path: a goto to a missing id,
    /// an id used twice, a step no path reaches, a loop with no wait in it, an unknown template
    /// (when `templates` is given) or workflow (when `workflows` is given). Empty when it is sound.
    public func problems(templates: Set<String>? = nil, workflows: Set<String>? = nil) -> [InputError] {
        var problems: [InputError] = []
        let flat = Self.flatten(steps)
        var ids: [String: String] = [:]
        for step in flat {
            guard let id = step.id else { continue }
            if let first = ids[id] {
                problems.append(InputError.invalid("\(step.path).id", "step id '\(id)' is used twice (first at \(first))"))
            } else {
                ids[id] = step.path
            }
        }
        var targets: Set<String> = []
        for step in flat {
            if case .goto(let target) = step.action {
                targets.insert(target)
                if ids[target] == nil { problems.append(InputError.invalid("\(step.path).goto", "goto '\(target)': no step has that id")) }
            }
        }
        for (index, skip) in skipAhead.enumerated() {
            targets.insert(skip.goto)
            if ids[skip.goto] == nil { problems.append(InputError.invalid("on[\(index)].goto", "goto '\(skip.goto)': no step has that id")) }
        }
        problems += unreachable(steps, targets: targets)
        problems += loopsWithoutWait(flat, ids: ids)
        for step in flat {
            switch step.action {
            case .sendEmail(let template):
                if let templates, !templates.contains(template) {
                    problems.append(InputError.invalid("\(step.path).send.email", "unknown template '\(template)'"))
                }
            case .enroll(let workflow), .remove(let workflow):
                if workflow == name {
                    problems.append(InputError.invalid(step.path, "a workflow cannot enroll contacts in (or remove them from) itself; use goto"))
                } else if let workflows, !workflows.contains(workflow) {
                    problems.append(InputError.invalid(step.path, "unknown workflow '\(workflow)'"))
                }
            default: break
            }
        }
        return problems
    }

    /// Steps in document order, branches inlined where they stand.
    static func flatten(_ steps: [WorkflowStep]) -> [WorkflowStep] {
        steps.flatMap { step -> [WorkflowStep] in
            if case .branch(_, let then, let otherwise) = step.action { return [step] + flatten(then) + flatten(otherwise) }
            return [step]
        }
    }

    /// In each list, a step after a goto or an exit runs only if something jumps to it.
    func unreachable(_ steps: [WorkflowStep], targets: Set<String>) -> [InputError] {
        var problems: [InputError] = []
        var cut = false
        for step in steps {
            if let id = step.id, targets.contains(id) { cut = false }
            if cut {
                problems.append(InputError(code: "unreachable_step", message: "\(step.path) can never run: it follows a goto or exit, and no goto names it", field: step.path))
            }
            switch step.action {
            case .goto, .exit: cut = true
            case .branch(_, let then, let otherwise):
                problems += unreachable(then, targets: targets)
                problems += unreachable(otherwise, targets: targets)
            default: break
            }
        }
        return problems
    }

    /// A goto back to an earlier step must pass a wait on the way, or a run would spin without end.
    func loopsWithoutWait(_ flat: [WorkflowStep], ids: [String: String]) -> [InputError] {
        var problems: [InputError] = []
        for (position, step) in flat.enumerated() {
            guard case .goto(let target) = step.action, let start = flat.firstIndex(where: { $0.id == target }), start <= position else { continue }
            let waits = flat[start...position].contains { step in
                switch step.action {
                case .wait, .waitForWindow, .waitUntil: true
                default: false
                }
            }
            if !waits {
                problems.append(InputError(code: "loop_without_wait", message: "goto '\(target)' loops back with no wait in the loop", field: "\(step.path).goto"))
            }
        }
        return problems
    }
}
