import Foundation
import TrellisCore
import Yams

/// Reads form definitions from YAML files. Errors name the file and line: `forms/ebook.yaml:7:
/// fields[1].type: unknown field type 'emial'`.
public enum FormFiles {
    public struct LoadError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int?
        public var message: String
        public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }

        public init(file: String, line: Int?, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }
    }

    /// Every `*.yaml` / `*.yml` file in `directory`, sorted by name.
    public static func load(directory: String) throws -> [FormDefinition] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var forms: [FormDefinition] = []
        for name in names {
            let form = try load(file: (directory as NSString).appendingPathComponent(name))
            if let first = forms.first(where: { $0.key == form.key }) {
                throw LoadError(file: name, line: nil, message: "form key '\(form.key)' is also used by form '\(first.title)'")
            }
            forms.append(form)
        }
        return forms
    }

    public static func load(file: String) throws -> FormDefinition {
        guard let text = FileManager.default.contents(atPath: file).map({ String(decoding: $0, as: UTF8.self) }) else {
            throw LoadError(file: file, line: nil, message: "cannot read the file")
        }
        return try parse(text, file: file)
    }

    public static func parse(_ text: String, file: String) throws -> FormDefinition {
        let document = try YAMLDocument(text, file: file)
        do {
            return try FormDefinition(json: document.value)
        } catch {
            throw LoadError(file: file, line: document.line(for: error.field), message: error.description)
        }
    }
}

/// A YAML document as a ``JSONValue``, remembering the line of every path, so errors found after
/// parsing (by the definition's own validation) still point at a line.
public struct YAMLDocument {
    public let value: JSONValue
    private var lines: [String: Int] = [:]

    public init(_ text: String, file: String) throws {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw FormFiles.LoadError(file: file, line: Self.line(of: error), message: "invalid YAML: \(error)")
        }
        guard let node else { throw FormFiles.LoadError(file: file, line: 1, message: "the file is empty") }
        var lines: [String: Int] = [:]
        value = try Self.convert(node, path: "", lines: &lines, file: file)
        self.lines = lines
    }

    /// The line of `path` (`fields[1].type`), or of its nearest parent that has one.
    public func line(for path: String?) -> Int? {
        guard var path else { return lines[""] }
        while true {
            if let line = lines[path] { return line }
            guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { return lines[""] }
            path = String(path[..<cut])
        }
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func convert(_ node: Node, path: String, lines: inout [String: Int], file: String) throws -> JSONValue {
        if let line = node.mark?.line { lines[path] = line }
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if node.null != nil { return .null }
            if let flag = node.bool { return .bool(flag) }
            if let number = node.int { return .int(Int64(number)) }
            if let number = node.float, number.isFinite { return .double(number) }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .array(try sequence.enumerated().map { index, item in try convert(item, path: "\(path)[\(index)]", lines: &lines, file: file) })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (keyNode, valueNode) in mapping {
                guard let key = keyNode.string else { throw FormFiles.LoadError(file: file, line: keyNode.mark?.line, message: "keys must be text") }
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                if object[key] != nil { throw FormFiles.LoadError(file: file, line: keyNode.mark?.line, message: "key '\(key)' appears twice") }
                object[key] = try convert(valueNode, path: childPath, lines: &lines, file: file)
                if let line = keyNode.mark?.line { lines[childPath] = line }
            }
            return .object(object)
        case .alias:
            throw FormFiles.LoadError(file: file, line: node.mark?.line, message: "YAML aliases are not supported")
        }
    }
}
