import Classifier
import Foundation
import Model
import TOMLKit

/// drillwatch's configuration, decoded from `drillwatch.toml` and validated as a whole.
public struct Settings: Sendable {
    /// The file it came from; relative paths inside it are relative to its folder.
    public var file: URL
    /// The folder of reference documents (the drill corpus).
    public var corpusFolder: URL
    public var classifier: ClassifierSettings
    public var rules: [RuleDefinition]
    public var gazetteer: Gazetteer

    /// Where drillwatch looks for its configuration when none is named: `$CONFIGURATION_DIRECTORY`
    /// (set by systemd), then `./config` (a checkout), then `/etc/drillwatch`.
    public static func defaultFile(environment: [String: String] = ProcessInfo.processInfo.environment,
                                   currentDirectory: String = FileManager.default.currentDirectoryPath) -> URL {
        var candidates: [URL] = []
        if let directory = environment["CONFIGURATION_DIRECTORY"]?.split(separator: ":").first {
            candidates.append(URL(fileURLWithPath: String(directory)).appendingPathComponent("drillwatch.toml"))
        }
        candidates.append(URL(fileURLWithPath: currentDirectory).appendingPathComponent("config/drillwatch.toml"))
        candidates.append(URL(fileURLWithPath: "/etc/drillwatch/drillwatch.toml"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[candidates.count - 2]
    }

    /// Reads and validates a configuration file. Every problem is reported at once.
    public static func load(_ file: URL) throws(ConfigError) -> Settings {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigError(problems: [ConfigProblem(file: file.path, line: nil, keyPath: "",
                                                       message: "cannot read the configuration file")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: file)
    }

    public static func parse(_ source: String, file: URL) throws(ConfigError) -> Settings {
        let name = file.lastPathComponent
        let root: TOMLTable
        do {
            root = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ConfigError(problems: [ConfigProblem(file: name, line: error.source.begin.line, keyPath: "",
                                                       message: "not valid TOML: \(error.description)")])
        } catch {
            throw ConfigError(problems: [ConfigProblem(file: name, line: nil, keyPath: "", message: "not valid TOML")])
        }
        var reader = TableReader(file: name, source: source)
        reader.rejectUnknown(root, at: "", known: ["corpus", "classifier", "rules", "gazetteer"])
        let folder = file.deletingLastPathComponent()

        // [corpus]
        var corpusFolder = folder.appendingPathComponent("corpus")
        if let corpus = reader.table(root, "corpus", at: "") {
            reader.rejectUnknown(corpus, at: "corpus", known: ["path"])
            if let path = reader.string(corpus, "path", at: "corpus") {
                corpusFolder = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
            }
        }

        // [classifier]
        var classifier = ClassifierSettings()
        if let table = reader.table(root, "classifier", at: "") {
            let path = "classifier"
            reader.rejectUnknown(table, at: path, known: [
                "alert_threshold", "review_threshold", "bias", "similarity_weight", "similarity_center",
                "duplicate_threshold", "same_exercise_threshold", "story_window_days", "similar_limit", "learn",
            ])
            if let v = reader.double(table, "alert_threshold", at: path, in: 0...1) { classifier.alertThreshold = v }
            if let v = reader.double(table, "review_threshold", at: path, in: 0...1) { classifier.reviewThreshold = v }
            if let v = reader.double(table, "bias", at: path, in: -50...50) { classifier.bias = v }
            if let v = reader.double(table, "similarity_weight", at: path, in: 0...50) { classifier.similarityWeight = v }
            if let v = reader.double(table, "similarity_center", at: path, in: 0...1) { classifier.similarityCenter = v }
            if let v = reader.double(table, "duplicate_threshold", at: path, in: 0...1) { classifier.duplicateThreshold = v }
            if let v = reader.double(table, "same_exercise_threshold", at: path, in: 0...1) { classifier.sameExerciseThreshold = v }
            if let v = reader.double(table, "story_window_days", at: path, in: 0...3650) { classifier.storyWindowDays = v }
            if let v = reader.int(table, "similar_limit", at: path, in: 0...50) { classifier.similarLimit = v }
            if let v = reader.bool(table, "learn", at: path) { classifier.learn = v }
            if classifier.reviewThreshold > classifier.alertThreshold {
                reader.problem("classifier.review_threshold", "must not be above alert_threshold (\(classifier.alertThreshold))")
            }
        }

        // [[rules]]
        var rules: [RuleDefinition] = []
        var names = Set<String>()
        for (index, table) in reader.tables(root, "rules", at: "").enumerated() {
            let path = "rules[\(index)]"
            reader.rejectUnknown(table, at: path, known: ["name", "query", "weight", "effect"])
            let name = reader.string(table, "name", at: path, required: true) ?? "#\(index)"
            if !names.insert(name).inserted { reader.problem("\(path).name", "rule '\(name)' is defined twice") }
            let query = reader.string(table, "query", at: path, required: true) ?? ""
            let effectName = reader.string(table, "effect", at: path) ?? "raise"
            guard let effect = RuleHit.Effect(rawValue: effectName) else {
                reader.problem("\(path).effect", "must be raise, lower or veto (got \"\(effectName)\")")
                continue
            }
            let weight = reader.double(table, "weight", at: path, in: 0...100) ?? (effect == .veto ? 0 : 1)
            rules.append(RuleDefinition(name: name, query: query, weight: weight, effect: effect))
        }
        for error in Classifier.validate(rules) {
            if let index = rules.firstIndex(where: { $0.name == error.rule }) {
                reader.problem("rules[\(index)].query", "rule '\(error.rule)': \(error.error)")
            }
        }

        // [gazetteer]
        var gazetteer = Gazetteer()
        if let table = reader.table(root, "gazetteer", at: "") {
            reader.rejectUnknown(table, at: "gazetteer", known: ["exercises", "places", "countries"])
            func entries(_ key: String) -> [Gazetteer.Entry] {
                reader.tables(table, key, at: "gazetteer").enumerated().compactMap { index, entry in
                    let path = "gazetteer.\(key)[\(index)]"
                    reader.rejectUnknown(entry, at: path, known: ["name", "aliases", "requires_year"])
                    guard let name = reader.string(entry, "name", at: path, required: true) else { return nil }
                    return Gazetteer.Entry(name: name, aliases: reader.strings(entry, "aliases", at: path),
                                           requiresYear: reader.bool(entry, "requires_year", at: path) ?? false)
                }
            }
            gazetteer = Gazetteer(exercises: entries("exercises"), places: entries("places"), countries: entries("countries"))
        }

        if !reader.problems.isEmpty { throw ConfigError(problems: reader.problems) }
        return Settings(file: file, corpusFolder: corpusFolder, classifier: classifier, rules: rules, gazetteer: gazetteer)
    }
}
