/// One problem in a configuration file, reported compiler-style so editors can jump to it:
/// `drillwatch.toml:12: error: rules[3].weight: must be a number (got "high")`.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        /// Nothing starts.
        case error
        /// Said, and the configuration is used.
        case warning
    }

    public var file: String
    public var line: Int?
    public var keyPath: String
    public var message: String
    public var severity = Severity.error

    public init(file: String, line: Int?, keyPath: String, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.message = message
        self.severity = severity
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return keyPath.isEmpty ? "\(location): \(severity): \(message)" : "\(location): \(severity): \(keyPath): \(message)"
    }
}

/// A configuration that cannot be used; every problem found is listed, nothing is started.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Finds the line of a key path in TOML source (`classifier.alert_threshold`,
/// `rules[2].query`), by following table headers and `key =` lines. TOMLKit's values carry no
/// source positions, and users need the line.
struct KeyLocator {
    private var lines: [String: Int] = [:]

    init(source: String) {
        var table = ""
        var arrayCounts: [String: Int] = [:]
        for (number, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingSpaces
            let lineNumber = number + 1
            if line.hasPrefix("[[") , let end = line.range(of: "]]") {
                let name = String(line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound]).trimmingSpaces
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                table = "\(name)[\(index)]"
                lines[table] = lineNumber
                // The array itself is at its first table (an unknown `[[feed]]` is reported there).
                if lines[name] == nil { lines[name] = lineNumber }
            } else if line.hasPrefix("["), let end = line.firstIndex(of: "]") {
                table = String(line[line.index(after: line.startIndex)..<end]).trimmingSpaces
                lines[table] = lineNumber
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                var key = String(line[..<equals]).trimmingSpaces
                if key.hasPrefix("\"") && key.hasSuffix("\"") && key.count >= 2 { key = String(key.dropFirst().dropLast()) }
                let path = table.isEmpty ? key : "\(table).\(key)"
                if lines[path] == nil { lines[path] = lineNumber }
            }
        }
    }

    /// The line of `path`, or of its nearest enclosing table.
    func line(of path: String) -> Int? {
        var current = path
        while true {
            if let line = lines[current] { return line }
            guard let cut = current.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            current = String(current[..<cut])
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" || first == "\r" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" { slice.removeLast() }
        return String(slice)
    }
}
