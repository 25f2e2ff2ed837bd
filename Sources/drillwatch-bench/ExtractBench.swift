import Article
import Foundation
import Locking

/// Article extraction over a folder of pages (`KEY.html` or `KEY.html.gz`): pages per second
/// and peak memory as one JSON line, and optionally the extracted bodies in the format of
/// `../shared/extraction/score_extraction.py` (`{KEY: {"articleBody": …}}`).
/// Timed: bytes in memory → article. Not timed: reading (and decompressing) the files.
/// `jobs` pages are extracted at once (default: every core, as a scan extracts the articles
/// of several feeds at once); `--jobs 1` gives the one-core figure.
enum ExtractBench {
    static func run(folder: String, output: String?, repeatCount: Int, jobs: Int) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".html") || $0.hasSuffix(".html.gz") }.sorted()
        var pages: [(key: String, bytes: [UInt8])] = []
        for name in names {
            guard let bytes = try? PageFile.read((folder as NSString).appendingPathComponent(name)) else { continue }
            let key = name.hasSuffix(".gz") ? String(name.dropLast(8)) : String(name.dropLast(5))
            pages.append((key, bytes))
        }
        let input = pages  // read by every worker
        var times: [Double] = []
        var results = [Article?](repeating: nil, count: pages.count)
        for _ in 0..<repeatCount {
            let started = ContinuousClock.now
            let next = Locked(0)
            let done = Locked<[(Int, Article)]>([])
            DispatchQueue.concurrentPerform(iterations: max(1, jobs)) { _ in
                while true {
                    let index = next.withLock { value -> Int in defer { value += 1 }; return value }
                    guard index < input.count else { return }
                    let article = ArticleExtractor.extract(input[index].bytes)
                    done.withLock { $0.append((index, article)) }
                }
            }
            let elapsed = ContinuousClock.now - started
            for (index, article) in done.withLock({ $0 }) { results[index] = article }
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        var articles: [String: Article] = [:]
        for (index, page) in pages.enumerated() { articles[page.key] = results[index] }
        let median = times.sorted()[times.count / 2]
        let bytes = pages.reduce(0) { $0 + $1.bytes.count }
        print("""
            {"peer": "drillwatch", "stage": "extract", "pages": \(pages.count), "bytes": \(bytes), "jobs": \(max(1, jobs)), \
            "seconds": \(round(median * 1000) / 1000), "pages_per_s": \(round(Double(pages.count) / median * 10) / 10), \
            "peak_rss_mb": \(round(Bench.peakRSS() * 10) / 10)}
            """)
        guard let output else { return }
        let predictions = articles.mapValues { ["articleBody": $0.text] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard FileManager.default.createFile(atPath: output, contents: try? encoder.encode(predictions)) else {
            FileHandle.standardError.write(Data("drillwatch-bench: \(output): cannot be written\n".utf8))
            exit(1)
        }
    }
}
