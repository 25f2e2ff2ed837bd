import Model
import Foundation
import TOMLKit

/// A trained weights file (`drillwatch train --out weights.toml`), referenced from the
/// configuration by `[classifier] weights = "weights.toml"`:
///
/// ```toml
/// # trained by drillwatch train on data/labelled/train.jsonl …
/// bias = -4.12
/// alert_threshold = 0.6
/// review_threshold = 0.35
/// [weights]
/// "rule:drill-with-china-and-russia" = 2.71
/// similarity = 3.05
/// "text:words" = 0.61
/// [text]
/// bias = -0.87
/// [text.terms]
/// "joint sea" = 1.92
/// "warn shot" = -0.74
/// ```
///
/// Plain text on purpose: a reviewer reads what the training did, and a person can change a
/// number (or pin a rule's weight in the configuration, which training then leaves alone).
public enum WeightsFile {
    /// Reads `file`; problems are reported like the configuration's, with lines.
    static func load(_ file: URL) throws(ConfigError) -> ScoreWeights {
        let name = file.lastPathComponent
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigError(problems: [ConfigProblem(file: file.path, line: nil, keyPath: "", message: "cannot read the weights file")])
        }
        let text = String(decoding: data, as: UTF8.self)
        // The learnt words read apart when they are as `train` writes them (`TermLines`), the
        // rest through the TOML parser; any problem and the whole file goes through it, which
        // reports the problem as for any configuration.
        if let split = TermLines.split(text), let weights = try? read(split.head, name: name, terms: split.terms) {
            return weights
        }
        return try read(text, name: name, terms: nil)
    }

    /// The weights in `source`, with `terms` as `[text.terms]` when they were read apart (an
    /// error when `source` sets any itself: TOML allows a table once).
    static func read(_ source: String, name: String, terms termLines: [String: Double]?) throws(ConfigError) -> ScoreWeights {
        let root = try Settings.toml(source, name: name)
        var reader = TableReader(file: name, source: source)
        var weights = ScoreWeights(bias: reader.double(root, "bias", at: "", in: -100...100) ?? 0, weights: [:])
        weights.alertThreshold = reader.double(root, "alert_threshold", at: "", in: 0...1)
        weights.reviewThreshold = reader.double(root, "review_threshold", at: "", in: 0...1)
        if let table = reader.table(root, "weights", at: "") {
            for key in table.keys.sorted() {
                if let value = reader.double(table, key, at: "weights", in: -100...100) { weights.weights[key] = value }
            }
        }
        if let text = reader.table(root, "text", at: "") {
            var words = TextWeights(bias: reader.double(text, "bias", at: "text", in: -100...100) ?? 0, terms: [:])
            if let terms = reader.table(text, "terms", at: "text") {
                if termLines != nil { throw ConfigError(problems: [ConfigProblem(file: name, line: nil, keyPath: "text.terms", message: "is set twice")]) }
                words.terms = reader.doubles(terms, at: "text.terms", in: -100...100)
            }
            reader.rejectUnasked(text, at: "text")
            weights.text = words
        }
        reader.rejectUnasked(root, at: "")
        if !reader.problems.isEmpty { throw ConfigError(problems: reader.problems) }
        if let termLines {
            // `[text.terms]` alone makes `text` a table: a bias of 0.
            weights.text = TextWeights(bias: weights.text?.bias ?? 0, terms: termLines)
        }
        return weights
    }

    /// The file's text: a header saying where the weights came from, then the numbers.
    public static func render(_ weights: ScoreWeights, header: [String]) -> String {
        var lines = header.map { "# " + $0 }
        lines.append(String(format: "bias = %.6f", weights.bias))
        if let value = weights.alertThreshold { lines.append(String(format: "alert_threshold = %.4f", value)) }
        if let value = weights.reviewThreshold { lines.append(String(format: "review_threshold = %.4f", value)) }
        lines.append("")
        lines.append("[weights]")
        for key in weights.weights.keys.sorted() {
            lines.append("\"\(key)\" = " + String(format: "%.6f", weights.weights[key]!))
        }
        if let words = weights.text {
            // Four decimals: a term's value is its count over the item's length (some 0.05),
            // so a weight's fifth decimal moves the log-odds by less than 1e-5.
            lines.append("")
            lines.append("[text]")
            lines.append(String(format: "bias = %.6f", words.bias))
            lines.append("")
            lines.append("[text.terms]")
            for key in words.terms.keys.sorted() where abs(words.terms[key]!) >= 0.00005 {
                lines.append(TOMLText.quoted(key) + " = " + String(format: "%.4f", words.terms[key]!))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The `[text.terms]` table of a weights file read without the TOML parser, when it is the
/// file's last table and every line of it is `"term" = number` as `train` writes it (blank
/// lines and comments allowed). Its twenty thousand lines through toml++ and TOMLKit were a
/// tenth of a scan that finds every feed unchanged, and a quarter of `check-config`.
///
/// Anything else — an escape in a term, a bare key, a second table after it, a repeated term,
/// a number TOML would not read or outside −100…100 — and `split` gives nil: the whole file
/// then goes through the TOML parser, which reads it as TOML says or reports the line.
enum TermLines {
    /// The text before the `[text.terms]` header, and the table's terms.
    static func split(_ text: String) -> (head: String, terms: [String: Double])? {
        var text = text
        return text.withUTF8 { bytes -> (head: String, terms: [String: Double])? in
            guard let header = lastHeader(in: bytes) else { return nil }
            var terms: [String: Double] = [:]
            terms.reserveCapacity((bytes.count - header.end) / 24)
            var start = header.end
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
                start = end + 1
                guard let (term, value) = Self.line(line) else { return nil }
                guard let term else { continue }
                guard terms.updateValue(value, forKey: term) == nil else { return nil }
            }
            return (String(decoding: UnsafeBufferPointer(rebasing: bytes[..<header.start]), as: UTF8.self), terms)
        }
    }

    /// Where the last line that is exactly `[text.terms]` starts and where the line after it starts.
    private static func lastHeader(in bytes: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int)? {
        let header = Array("[text.terms]".utf8)
        var end = bytes.count
        while end > 0 {
            var start = end - 1
            while start > 0 && bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
            var line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            if line.last == UInt8(ascii: "\n") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            if line.last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
            if line.elementsEqual(header) { return (start, end) }
            end = start
        }
        return nil
    }

    /// One line of the table: its term and value, a nil term for a blank or comment line;
    /// nil for anything else.
    private static func line(_ line: UnsafeBufferPointer<UInt8>) -> (term: String?, value: Double)? {
        var i = 0
        func skipBlanks() { while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 } }
        func atEnd() -> Bool {
            skipBlanks()
            return i == line.count || line[i] == UInt8(ascii: "#") || (line[i] == 0x0D && i + 1 == line.count)
        }
        if atEnd() { return (nil, 0) }
        guard line[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let termStart = i
        // No escapes and no control characters: a term that has them goes to the parser.
        while i < line.count && line[i] != UInt8(ascii: "\"") {
            guard line[i] != UInt8(ascii: "\\"), line[i] >= 0x20, line[i] != 0x7F else { return nil }
            i += 1
        }
        guard i < line.count else { return nil }
        let term = String(decoding: UnsafeBufferPointer(rebasing: line[termStart..<i]), as: UTF8.self)
        i += 1
        skipBlanks()
        guard i < line.count && line[i] == UInt8(ascii: "=") else { return nil }
        i += 1
        skipBlanks()
        let numberStart = i
        guard let numberEnd = number(line, from: i) else { return nil }
        i = numberEnd
        guard atEnd(),
              let value = Double(String(decoding: UnsafeBufferPointer(rebasing: line[numberStart..<numberEnd]), as: UTF8.self)),
              (-100...100).contains(value) else { return nil }
        return (term, value)
    }

    /// The end of a TOML decimal number starting at `start` (sign, digits with no leading
    /// zero, a fraction, an exponent; no underscores), or nil.
    private static func number(_ line: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var i = start
        func digits() -> Int {
            let first = i
            while i < line.count && line[i] >= 0x30 && line[i] <= 0x39 { i += 1 }
            return i - first
        }
        if i < line.count && (line[i] == UInt8(ascii: "-") || line[i] == UInt8(ascii: "+")) { i += 1 }
        let integer = i
        guard digits() > 0, line[integer] != 0x30 || i - integer == 1 else { return nil }
        if i < line.count && line[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return nil }
        }
        if i < line.count && (line[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            if i < line.count && (line[i] == UInt8(ascii: "-") || line[i] == UInt8(ascii: "+")) { i += 1 }
            guard digits() > 0 else { return nil }
        }
        return i
    }
}
