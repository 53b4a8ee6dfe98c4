import Foundation
import TrellisCore

/// Reads segment definitions and scoring models from YAML files. Errors name the file and the
/// line: `segments/pricing.yaml:9: match.all[1].within: within must be a duration ...`.
public enum RuleFiles {
    /// Every `*.yaml` / `*.yml` segment in `directory`, sorted by file name.
    public static func segments(directory: String) throws -> [SegmentDefinition] {
        var segments: [SegmentDefinition] = []
        for file in try yamlFiles(in: directory) {
            let segment = try parse(file: file) { value throws(InputError) in try SegmentDefinition(json: value) }
            if segments.contains(where: { $0.name == segment.name }) {
                throw FormFiles.LoadError(file: file, line: nil, message: "segment name '\(segment.name)' is used by another file too")
            }
            segments.append(segment)
        }
        do {
            _ = try SegmentCatalog(segments)
        } catch {
            throw FormFiles.LoadError(file: directory, line: nil, message: error.message)
        }
        return segments
    }

    public static func scoringModel(file: String) throws -> ScoringModel {
        try parse(file: file) { value throws(InputError) in try ScoringModel(json: value) }
    }

    static func yamlFiles(in directory: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw FormFiles.LoadError(file: directory, line: nil, message: "cannot read the folder")
        }
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
    }

    static func parse<T>(file: String, _ read: (JSONValue) throws(InputError) -> T) throws -> T {
        guard let data = FileManager.default.contents(atPath: file) else { throw FormFiles.LoadError(file: file, line: nil, message: "cannot read the file") }
        let document = try YAMLDocument(String(decoding: data, as: UTF8.self), file: file)
        do {
            return try read(document.value)
        } catch {
            throw FormFiles.LoadError(file: file, line: document.line(for: error.field), message: error.description)
        }
    }
}
