/// A workflow compiled to a flat list of instructions: branches become conditional jumps and
/// `goto` an index. A run's position is an index into this list, which is what the store keeps.
public struct WorkflowProgram: Sendable {
    public enum Instruction: Sendable, Hashable {
        case send(StepAction)
        case wait(RuleDuration)
        case waitForWindow(days: Set<Weekday>, fromHour: Int, toHour: Int)
        case waitUntil(event: EventCondition, timeout: RuleDuration)
        /// Evaluate the rule; continue at `then` or `otherwise`.
        case branch(Rule, then: Int, otherwise: Int)
        case split(variants: [SplitVariant], holdout: Int)
        case update(ContactUpdate)
        case jump(Int)
        case enroll(String)
        case remove(String)
        case handoff(String?)
        case exit
    }

    public let definition: WorkflowDefinition
    public let instructions: [Instruction]
    /// Each instruction's step: its id when it has one, else where it was written
    /// (`steps[4].branch.then[0]`), for timelines and per-step counts.
    public let paths: [String]
    /// Step ids to instruction indexes.
    public let labels: [String: Int]

    public init(_ definition: WorkflowDefinition) throws(InputError) {
        var builder = Builder()
        builder.emit(definition.steps)
        builder.append(.exit, path: "end")
        for (index, pending) in builder.pendingJumps {
            guard let target = builder.labels[pending.target] else { throw InputError.invalid(pending.path, "goto '\(pending.target)': no step has that id") }
            builder.instructions[index] = .jump(target)
        }
        for skip in definition.skipAhead where builder.labels[skip.goto] == nil {
            throw InputError.invalid("on", "goto '\(skip.goto)': no step has that id")
        }
        self.definition = definition
        instructions = builder.instructions
        paths = builder.paths
        labels = builder.labels
    }

    struct Builder {
        var instructions: [Instruction] = []
        var paths: [String] = []
        var labels: [String: Int] = [:]
        var pendingJumps: [Int: (target: String, path: String)] = [:]

        mutating func append(_ instruction: Instruction, path: String) {
            instructions.append(instruction)
            paths.append(path)
        }

        mutating func emit(_ steps: [WorkflowStep]) {
            for var step in steps {
                if let id = step.id {
                    labels[id] = instructions.count
                    step.path = id
                }
                switch step.action {
                case .sendEmail, .sendWebhook: append(.send(step.action), path: step.path)
                case .wait(let duration): append(.wait(duration), path: step.path)
                case .waitForWindow(let days, let from, let to): append(.waitForWindow(days: days, fromHour: from, toHour: to), path: step.path)
                case .waitUntil(let event, let timeout): append(.waitUntil(event: event, timeout: timeout), path: step.path)
                case .split(let variants, let holdout): append(.split(variants: variants, holdout: holdout), path: step.path)
                case .update(let update): append(.update(update), path: step.path)
                case .enroll(let workflow): append(.enroll(workflow), path: step.path)
                case .remove(let workflow): append(.remove(workflow), path: step.path)
                case .handoff(let reason): append(.handoff(reason), path: step.path)
                case .exit: append(.exit, path: step.path)
                case .goto(let target):
                    pendingJumps[instructions.count] = (target, "\(step.path).goto")
                    append(.jump(-1), path: step.path)
                case .branch(let rule, let then, let otherwise):
                    let branchIndex = instructions.count
                    append(.branch(rule, then: -1, otherwise: -1), path: step.path)
                    let thenStart = instructions.count
                    emit(then)
                    let skipElse = instructions.count
                    append(.jump(-1), path: "\(step.path).branch.then.end")
                    let elseStart = instructions.count
                    emit(otherwise)
                    let after = instructions.count
                    instructions[skipElse] = .jump(after)
                    instructions[branchIndex] = .branch(rule, then: thenStart, otherwise: elseStart)
                }
            }
        }
    }
}
