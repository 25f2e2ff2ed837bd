import Classifier
import Foundation

/// `drillwatch-bench fold PAIRS.tsv`: traditional → simplified Chinese with OpenCC (`t2s.json`)
/// and with ICU's `Hant-Hans` transform through Foundation, side by side. Prints how many of
/// the traditional domain words each folds right and how many simplified ones it leaves alone, each one's speed on a long traditional text (in one call
/// and one call per CJK run, as the analyzer calls it), and the analyzer's own speed on the
/// same text in both scripts.
enum FoldBench {
    static func run(pairsPath: String, repeatCount: Int) {
        guard let pairs = loadPairs(pairsPath), !pairs.isEmpty else {
            FileHandle.standardError.write(Data("fold: cannot read pairs from \(pairsPath)\n".utf8))
            exit(1)
        }
        let started = ContinuousClock.now
        let analyzer = Analyzer()
        _ = analyzer.analyze("國")  // opens OpenCC, and learns 國 into the table of traditional characters
        print("analyzer: first use \(milliseconds(ContinuousClock.now - started)) ms (OpenCC open + traditional table)")

        let converter: SimplifiedConverter
        do { converter = try SimplifiedConverter() } catch {
            FileHandle.standardError.write(Data("fold: \(error)\n".utf8))
            exit(1)
        }
        let icu = StringTransform("Hant-Hans")
        let engines: [(name: String, convert: (String) -> String)] = [
            ("opencc t2s", { converter.convert($0) }),
            ("icu Hant-Hans", { $0.applyingTransform(icu, reverse: false) ?? $0 }),
        ]
        let traditional = longText(pairs.filter { $0.traditional != $0.simplified }.map(\.traditional))
        let runs = cjkRuns(traditional)
        print("text: \(traditional.unicodeScalars.count) characters, \(runs.count) CJK runs")
        let folding = pairs.filter { $0.traditional != $0.simplified }
        let keeping = pairs.filter { $0.traditional == $0.simplified }
        print("engine         folded  kept   whole-text chars/s  per-run chars/s  misses")
        for engine in engines {
            let misses = pairs.filter { engine.convert($0.traditional) != $0.simplified }
            let folded = folding.count - misses.count(where: { $0.traditional != $0.simplified })
            let kept = keeping.count - misses.count(where: { $0.traditional == $0.simplified })
            let whole = rate(traditional.unicodeScalars.count, repeatCount) { _ = engine.convert(traditional) }
            let perRun = rate(traditional.unicodeScalars.count, repeatCount) { for run in runs { _ = engine.convert(run) } }
            let missed = misses.map { "\($0.traditional)→\(engine.convert($0.traditional))" }.joined(separator: " ")
            print("\(engine.name.padding(toLength: 14, withPad: " ", startingAt: 0)) "
                + "\(folded)/\(folding.count)  \(kept)/\(keeping.count)  \(whole)  \(perRun)  \(missed)")
        }
        let simplified = converter.convert(traditional)
        for (name, text) in [("simplified", simplified), ("traditional", traditional)] {
            let speed = rate(text.unicodeScalars.count, repeatCount) { _ = analyzer.analyze(text) }
            print("analyzer on \(name) text: \(speed) chars/s")
        }
    }

    /// (traditional, simplified) from tab-separated lines; `#` starts a comment line.
    static func loadPairs(_ path: String) -> [(traditional: String, simplified: String)]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t")
            guard !line.hasPrefix("#"), fields.count == 2 else { return nil }
            return (String(fields[0]), String(fields[1]))
        }
    }

    /// ~100,000 characters of news-like traditional text: the words in clauses of five, with
    /// Chinese punctuation and a Latin code name now and then.
    static func longText(_ words: [String]) -> String {
        var out = ""
        var index = 0
        while out.unicodeScalars.count < 100_000 {
            let clause = (0..<5).map { words[(index + $0 * 7) % words.count] }.joined()
            out += clause + (index % 4 == 3 ? "（Joint Sea-2024）。" : "，")
            index += 1
        }
        return out
    }

    /// The runs of Han characters, as the analyzer would hand them to a converter.
    static func cjkRuns(_ text: String) -> [String] {
        var runs: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if (0x3400...0x9FFF).contains(scalar.value) {
                current.append(scalar)
            } else if !current.isEmpty {
                runs.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { runs.append(String(current)) }
        return runs
    }

    /// Characters a second, the best of `repeatCount` runs of `work`.
    static func rate(_ characters: Int, _ repeatCount: Int, _ work: () -> Void) -> String {
        var best = Double.infinity
        for _ in 0..<repeatCount {
            let started = ContinuousClock.now
            work()
            best = min(best, Bench.seconds(ContinuousClock.now - started))
        }
        let perSecond = Double(characters) / best
        return String(format: "%15.0f", perSecond)
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.0f", Bench.seconds(duration) * 1000)
    }
}
