import Feeds
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `drillwatch-bench`: measures drillwatch on the inputs of `shared/bench` and prints one JSON
/// line in the peers' format, so `compare.py` can put it next to them.
///
///     drillwatch-bench parse PATH [--repeat N]
///
/// PATH is a feed file, a folder of feeds, or a generator `--out` folder (its `feeds/`).
/// Timed: bytes in memory → items with title, link, id, date, summary and plain text.
/// Not timed: process start and reading the files.
@main
enum Bench {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let command = arguments.first else { usage() }
        arguments.removeFirst()
        var repeatCount = 1
        if let index = arguments.firstIndex(of: "--repeat"), index + 1 < arguments.count, let n = Int(arguments[index + 1]) {
            repeatCount = max(1, n)
            arguments.removeSubrange(index...(index + 1))
        }
        switch command {
        case "parse":
            guard let path = arguments.first else { usage() }
            parse(path: path, repeatCount: repeatCount)
        default:
            usage()
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: drillwatch-bench parse PATH [--repeat N]\n".utf8))
        exit(2)
    }

    static func feedFiles(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            FileHandle.standardError.write(Data("drillwatch-bench: \(path): no such file or folder\n".utf8))
            exit(1)
        }
        guard isDirectory.boolValue else { return [path] }
        let feeds = (path as NSString).appendingPathComponent("feeds")
        let folder = FileManager.default.fileExists(atPath: feeds) ? feeds : path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".xml") || $0.hasSuffix(".json") || $0.hasSuffix(".atom") || $0.hasSuffix(".rss") }
            .sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    static func parse(path: String, repeatCount: Int) {
        let files = feedFiles(at: path).map { Array(FileManager.default.contents(atPath: $0) ?? Data()) }
        let bytes = files.reduce(0) { $0 + $1.count }
        var times: [Double] = []
        var items = 0
        var textBytes = 0
        for _ in 0..<repeatCount {
            items = 0
            textBytes = 0
            let started = ContinuousClock.now
            for file in files {
                _ = try? FeedParser.parse(file) { entry in
                    items += 1
                    textBytes += entry.text.utf8.count
                }
            }
            let elapsed = ContinuousClock.now - started
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let median = times.sorted()[times.count / 2]
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMiB = Double(usage.ru_maxrss) / 1024
        let line = """
            {"peer": "drillwatch", "version": "0.1.0", "stage": "parse", "files": \(files.count), "items": \(items), \
            "bytes": \(bytes), "text_bytes": \(textBytes), "seconds": \(round(median * 1000) / 1000), \
            "seconds_all": [\(times.map { String(round($0 * 1000) / 1000) }.joined(separator: ", "))], \
            "items_per_s": \(round(Double(items) / median * 10) / 10), "mb_per_s": \(round(Double(bytes) / 1e6 / median * 100) / 100), \
            "peak_rss_mb": \(round(peakMiB * 10) / 10)}
            """
        print(line)
    }
}
