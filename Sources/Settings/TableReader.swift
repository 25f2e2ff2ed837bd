import SafeText
import TOMLKit

/// Reads typed values out of TOMLKit tables, collecting every problem with its key path
/// instead of stopping at the first, and rejecting keys it was not asked about: each key is
/// spelled once, where it is read, and `rejectUnasked` reports the rest of a table as unknown.
struct TableReader {
    let file: String
    private let source: String
    /// Made at the first problem, not before: the source is read a line at a time to find
    /// keys, and a configuration of 2,000 feeds without a problem needs none of it (4% of the
    /// CPU of a scan in which every feed answered 304).
    private var locator: KeyLocator?
    private(set) var problems: [ConfigProblem] = []
    private(set) var warnings: [ConfigProblem] = []
    /// The keys read so far, by the path of their table.
    private var asked: [String: Set<String>] = [:]

    init(file: String, source: String) {
        self.file = file
        self.source = source
    }

    private mutating func line(of path: String) -> Int? {
        if locator == nil { locator = KeyLocator(source: source) }
        return locator?.line(of: path)
    }

    mutating func problem(_ path: String, _ message: String) {
        problems.append(ConfigProblem(file: file, line: line(of: path), keyPath: path, message: message))
    }

    mutating func warning(_ path: String, _ message: String) {
        warnings.append(ConfigProblem(file: file, line: line(of: path), keyPath: path, message: message, severity: .warning))
    }

    /// A string that may hold a secret: `credential:NAME` is read from the credentials folder
    /// (never kept in the configuration, which is world-readable); a literal value that carries
    /// a credential (`user:pass@`, `?token=`) works but is warned about.
    mutating func secret(_ table: TOMLTable, _ key: String, at path: String, credentials: Credentials, required: Bool = false) -> String? {
        guard let value = string(table, key, at: path, required: required) else { return nil }
        let full = join(path, key)
        guard let name = Credentials.reference(value) else {
            if Redaction.url(value) != value {
                warning(full, "this URL carries a credential in a file others may read; put the URL in a credentials file "
                    + "and write \(key) = \"credential:NAME\" (see the README, \"Secrets\")")
            }
            return value
        }
        switch credentials.read(name) {
        case .success(let secret): return secret
        case .failure(let reason):
            problem(full, reason.description)
            return nil
        }
    }

    /// Reports the keys of `table` that nothing read, after its settings were read.
    mutating func rejectUnasked(_ table: TOMLTable, at path: String) {
        rejectUnknown(table, at: path, known: asked[path] ?? [])
    }

    /// Whether `key` is set (a setting read only for its presence).
    mutating func isPresent(_ table: TOMLTable, _ key: String, at path: String) -> Bool {
        asked[path, default: []].insert(key)
        return table[key] != nil
    }

    /// Reports keys of `table` that are not in `known`.
    mutating func rejectUnknown(_ table: TOMLTable, at path: String, known: Set<String>) {
        for key in table.keys.sorted() where !known.contains(key) {
            let full = path.isEmpty ? key : "\(path).\(key)"
            let suggestion = known.min { editDistance($0, key) < editDistance($1, key) }
                .flatMap { editDistance($0, key) <= 2 ? " (did you mean '\($0)'?)" : nil } ?? ""
            problem(full, "unknown setting\(suggestion)")
        }
    }

    mutating func table(_ table: TOMLTable, _ key: String, at path: String) -> TOMLTable? {
        value(table, key, at: path, kind: { "a table (got \($0.type))" }) { $0.table }
    }

    mutating func tables(_ table: TOMLTable, _ key: String, at path: String) -> [TOMLTable] {
        asked[path, default: []].insert(key)
        return elements(table, key, at: path, arrayKind: "an array of tables ([[\(key)]])") { element in
            element.table.map { .success($0) } ?? .failure("must be a table (got \(element.type))")
        }
    }

    mutating func string(_ table: TOMLTable, _ key: String, at path: String, required: Bool = false) -> String? {
        if required && table[key] == nil { problem(join(path, key), "is required") }
        return value(table, key, at: path, kind: { "a string (got \(Self.describe($0)))" }) { $0.string }
    }

    /// One of an enumeration's names (`policy = "short"`); anything else is a problem that
    /// lists the names.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ table: TOMLTable, _ key: String, at path: String) -> T?
        where T.RawValue == String {
        guard let name = string(table, key, at: path) else { return nil }
        guard let value = T(rawValue: name) else {
            problem(join(path, key), "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")) (got \"\(name)\")")
            return nil
        }
        return value
    }

    mutating func double(_ table: TOMLTable, _ key: String, at path: String, in range: ClosedRange<Double>? = nil) -> Double? {
        // TOML allows inf and nan; no setting means them, and a NaN weight would poison every score.
        // The key is asked for all the same: a refused value is not also an unknown setting.
        asked[path, default: []].insert(key)
        if let value = table[key]?.double, !value.isFinite {
            problem(join(path, key), "must be a finite number (got \(value))")
            return nil
        }
        return number(table, key, at: path, in: range, kind: "a number", read: { $0.double ?? $0.int.map(Double.init) }, format: Self.format)
    }

    /// Every entry of a table of numbers (the learnt words' twenty thousand terms), each
    /// checked as `double` checks one. Read as the table's keys and values, two calls, not a
    /// lookup of each key by name: that was a third of starting any command. The whole table
    /// is read, so no key of it is left to reject.
    mutating func doubles(_ table: TOMLTable, at path: String, in range: ClosedRange<Double>) -> [String: Double] {
        var numbers: [String: Double] = [:]
        let keys = table.keys
        numbers.reserveCapacity(keys.count)
        for (key, value) in zip(keys, table.values) {
            guard let number = value.double ?? value.int.map(Double.init) else {
                problem(join(path, key), "must be a number (got \(Self.describe(value)))")
                continue
            }
            guard number.isFinite else {
                problem(join(path, key), "must be a finite number (got \(number))")
                continue
            }
            guard range.contains(number) else {
                problem(join(path, key), "must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)) (got \(Self.format(number)))")
                continue
            }
            numbers[key] = number
        }
        return numbers
    }

    mutating func int(_ table: TOMLTable, _ key: String, at path: String, in range: ClosedRange<Int>? = nil) -> Int? {
        number(table, key, at: path, in: range, kind: "a whole number", read: { $0.int }, format: { String($0) })
    }

    private mutating func number<T: Comparable>(
        _ table: TOMLTable, _ key: String, at path: String, in range: ClosedRange<T>?, kind: String,
        read: (TOMLValueConvertible) -> T?, format: (T) -> String
    ) -> T? {
        asked[path, default: []].insert(key)
        guard let value = table[key] else { return nil }
        guard let number = read(value) else {
            problem(join(path, key), "must be \(kind) (got \(Self.describe(value)))")
            return nil
        }
        if let range, !range.contains(number) {
            problem(join(path, key), "must be between \(format(range.lowerBound)) and \(format(range.upperBound)) (got \(format(number)))")
            return nil
        }
        return number
    }

    mutating func bool(_ table: TOMLTable, _ key: String, at path: String) -> Bool? {
        value(table, key, at: path, kind: { "true or false (got \(Self.describe($0)))" }) { $0.bool }
    }

    /// One value that `read` accepts, or a problem saying what it must be (`kind`).
    private mutating func value<T>(_ table: TOMLTable, _ key: String, at path: String, kind: (TOMLValueConvertible) -> String,
                                   read: (TOMLValueConvertible) -> T?) -> T? {
        asked[path, default: []].insert(key)
        guard let value = table[key] else { return nil }
        guard let result = read(value) else {
            problem(join(path, key), "must be \(kind(value))")
            return nil
        }
        return result
    }

    mutating func strings(_ table: TOMLTable, _ key: String, at path: String) -> [String] {
        asked[path, default: []].insert(key)
        return elements(table, key, at: path, arrayKind: "an array of strings") { element in
            element.string.map { .success($0) } ?? .failure("must be a string (got \(Self.describe(element)))")
        }
    }

    mutating func ints(_ table: TOMLTable, _ key: String, at path: String, in range: ClosedRange<Int>) -> [Int] {
        asked[path, default: []].insert(key)
        return elements(table, key, at: path, arrayKind: "an array of whole numbers") { element in
            guard let number = element.int, range.contains(number) else {
                return .failure("must be a whole number between \(range.lowerBound) and \(range.upperBound) (got \(Self.describe(element)))")
            }
            return .success(number)
        }
    }

    /// The elements of an array value that `read` accepts; each one it refuses is a problem at
    /// its index.
    private mutating func elements<T>(_ table: TOMLTable, _ key: String, at path: String, arrayKind: String,
                                      read: (TOMLValueConvertible) -> Result<T, ElementProblem>) -> [T] {
        guard let value = table[key] else { return [] }
        guard let array = value.array else {
            problem(join(path, key), "must be \(arrayKind)")
            return []
        }
        var result: [T] = []
        for (index, element) in array.enumerated() {
            switch read(element) {
            case .success(let value): result.append(value)
            case .failure(let failure): problem("\(join(path, key))[\(index)]", failure.message)
            }
        }
        return result
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private static func describe(_ value: TOMLValueConvertible) -> String {
        if let string = value.string { return "\"\(string)\"" }
        return "\(value.type)"
    }

    /// Static: passed as `format: Self.format`, a method of the reader would capture a copy of
    /// it, and `asked` (shared with that copy) was then copied whole on every number read —
    /// quadratic in the number of feeds (a third of a 10,000-feed scan's start-up).
    private static func format(_ value: Double) -> String {
        value.isFinite && abs(value) < 1e15 && value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Why one element of an array was refused.
struct ElementProblem: Error, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    let message: String
    init(stringLiteral message: String) { self.message = message }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
