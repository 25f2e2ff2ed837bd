import Classifier
import Curl
import Feeds
import Foundation
import Model
import Pipeline
import Settings
import Store
#if canImport(Glibc)
import Glibc
#endif

/// `drillwatch-bench`: measures drillwatch on the inputs of `shared/bench` and prints one JSON
/// line in the peers' format, so `compare.py` can put it next to them.
///
///     drillwatch-bench parse PATH [--repeat N]
///     drillwatch-bench classify --corpus DIR --items FILE.jsonl [--config F] [--batch 256] [--repeat N]
///     drillwatch-bench dedup FILE.jsonl [--threshold 0.5] [--repeat N]
///     drillwatch-bench fill-store DB --items N --feeds F [--days D] [--prefix load-]
///     drillwatch-bench fold PAIRS.tsv [--repeat N]
///     drillwatch-bench extract DIR [--out PREDICTIONS.json] [--jobs N] [--repeat N]
///
/// PATH is a feed file, a folder of feeds, or a generator `--out` folder (its `feeds/`).
/// `parse` times each file read (from the page cache, as the peers read theirs) and parsed
/// into items with title, link, id, date, summary and plain text; process start is not timed.
@main
enum Bench {
    static func main() async {
        // As `drillwatch` does: the allocator keeps what one feed frees for the next.
        Allocator.configureForFeeds()
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
        case "classify":
            guard let corpus = option("--corpus", in: arguments), let items = option("--items", in: arguments) else { usage() }
            classify(corpus: corpus, items: items, config: option("--config", in: arguments),
                     batch: max(1, option("--batch", in: arguments).flatMap(Int.init) ?? 256), repeatCount: repeatCount)
        case "fetch":
            guard let base = arguments.first(where: { !$0.hasPrefix("--") }) else { usage() }
            let concurrency = option("--concurrency", in: arguments).flatMap(Int.init) ?? 32
            // main() is synchronous on the main thread: run the async work detached from it
            // (not on the main actor, which this thread blocks) and wait for it.
            let semaphore = DispatchSemaphore(value: 0)
            Task.detached {
                await fetch(base: base, concurrency: concurrency, repeatCount: repeatCount)
                semaphore.signal()
            }
            semaphore.wait()
        case "fill-store":
            guard let path = arguments.first(where: { !$0.hasPrefix("--") }) else { usage() }
            await fillStore(path: path, items: option("--items", in: arguments).flatMap(Int.init) ?? 1_000_000,
                      feeds: option("--feeds", in: arguments).flatMap(Int.init) ?? 10_000,
                      days: option("--days", in: arguments).flatMap(Double.init) ?? 400,
                      prefix: option("--prefix", in: arguments) ?? "load-")
        case "fold":
            guard let path = arguments.first(where: { !$0.hasPrefix("--") }) else { usage() }
            FoldBench.run(pairsPath: path, repeatCount: repeatCount)
        case "extract":
            guard let path = arguments.first(where: { !$0.hasPrefix("--") }) else { usage() }
            ExtractBench.run(folder: path, output: option("--out", in: arguments), repeatCount: repeatCount,
                             jobs: option("--jobs", in: arguments).flatMap(Int.init) ?? ProcessInfo.processInfo.activeProcessorCount)
        case "dedup":
            guard let path = arguments.first(where: { !$0.hasPrefix("--") }) else { usage() }
            dedup(path: path, threshold: option("--threshold", in: arguments).flatMap(Double.init) ?? 0.5, repeatCount: repeatCount)
        default:
            usage()
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("""
            usage: drillwatch-bench parse PATH [--repeat N]
                   drillwatch-bench classify --corpus DIR --items FILE.jsonl [--config F] [--batch 256] [--repeat N]
                   drillwatch-bench dedup FILE.jsonl [--threshold 0.5] [--repeat N]
                   drillwatch-bench fetch BASE_URL [--concurrency 32] [--repeat N]
                   drillwatch-bench fill-store DB --items N --feeds F [--days D] [--prefix load-]
                   drillwatch-bench fold PAIRS.tsv [--repeat N]
                   drillwatch-bench extract DIR [--out PREDICTIONS.json] [--jobs N] [--repeat N]

            """.utf8))
        exit(2)
    }

    /// Fills a state database as a long-running installation would have it: `items` items over
    /// `feeds` feeds, first seen evenly over the last `days` days (about one in twelve relevant,
    /// with its text kept), each feed fetched a day ago. For the load test (`scripts/load`).
    static func fillStore(path: String, items: Int, feeds: Int, days: Double, prefix: String) async {
        let store: any StateStore
        do { store = try SQLiteStore.open(at: path) } catch { fatalError("\(error)") }
        let now = Date()
        let perFeed = max(1, items / max(1, feeds))
        let started = ContinuousClock.now
        var written = 0
        for feed in 1...feeds {
            let name = "\(prefix)\(feed)"
            var state = FeedState(name: name, url: "http://127.0.0.1/\(feed).xml")
            state.lastFetch = now.addingTimeInterval(-86400)
            state.lastSuccess = state.lastFetch
            state.lastStatus = 200
            var batch: [Judgement] = []
            batch.reserveCapacity(perFeed)
            for n in 0..<perFeed where written + batch.count < items {
                let age = days * 86400 * Double((feed * perFeed + n) % 10_007) / 10_007
                let seen = now.addingTimeInterval(-age)
                let relevant = (feed + n) % 12 == 0
                batch.append(Judgement(
                    feed: name, itemKey: "id:old-\(feed)-\(n)",
                    title: relevant ? "Chinese and Russian warships hold joint drills, report \(n)" : "Harbour notice \(feed)-\(n)",
                    link: "https://load.example/\(feed)/old/\(n)",
                    summary: relevant ? "Destroyers of the Chinese and Russian navies held a joint exercise; report \(n)." : "",
                    published: seen, firstSeen: seen, verdict: relevant ? .alert : .ignore, score: relevant ? 0.9 : 0.05,
                    story: relevant ? "story-\(n % 500)" : nil))
            }
            do { try await store.commit(feed: state, items: batch, alerts: []) } catch { fatalError("\(error)") }
            written += batch.count
        }
        let elapsed = seconds(ContinuousClock.now - started)
        let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / (1024 * 1024)
        print("{\"tool\": \"drillwatch-bench fill-store\", \"items\": \(written), \"feeds\": \(feeds), \"seconds\": \(String(format: "%.1f", elapsed)), \"items_per_s\": \(Int(Double(written) / elapsed)), \"db_mib\": \(size), \"peak_rss_mib\": \(String(format: "%.0f", peakRSS()))}")
    }

    static func option(_ name: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func peakRSS() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (Double(usage.ru_maxrss) / 1024 * 10).rounded() / 10
    }

    struct BenchItem {
        var item: Item
        var label: String?
        var index: Int?
        var dupOf: Int?
    }

    /// The generator's JSONL (or a --out folder holding items.jsonl).
    static func loadItems(_ path: String) -> [BenchItem] {
        var file = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = (path as NSString).appendingPathComponent("items.jsonl")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data("drillwatch-bench: \(file): cannot be read\n".utf8))
            exit(1)
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            let item = Item(id: object["id"] as? String ?? "", title: object["title"] as? String ?? "",
                            text: object["summary"] as? String ?? "",
                            published: (object["published"] as? String).flatMap(FeedDate.parse))
            return BenchItem(item: item, label: object["label"] as? String, index: object["index"] as? Int, dupOf: object["dup_of"] as? Int)
        }
    }

    static func classify(corpus: String, items path: String, config: String?, batch: Int, repeatCount: Int) {
        var folder = URL(fileURLWithPath: corpus)
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("corpus").path) {
            folder = folder.appendingPathComponent("corpus")
        }
        let items = loadItems(path)
        let bytes = items.reduce(0) { $0 + $1.item.title.utf8.count + 1 + $1.item.text.utf8.count }
        guard var settings = try? ClassifierLoader.settings(config),
              let documents = try? CorpusStore(folder: folder).load() else {
            FileHandle.standardError.write(Data("drillwatch-bench: cannot load the configuration or the corpus\n".utf8))
            exit(1)
        }
        settings.corpusFolder = folder
        let fitStart = ContinuousClock.now
        guard let classifier = try? Classifier(settings: settings.classifier, rules: settings.rules, corpus: documents,
                                               gazetteer: settings.gazetteer) else { exit(1) }
        classifier.prepare()
        let fit = seconds(ContinuousClock.now - fitStart)
        var times: [Double] = []
        var truePositives = 0, falsePositives = 0, falseNegatives = 0
        for round in 0..<repeatCount {
            classifier.resetStories()
            let started = ContinuousClock.now
            var verdicts: [Verdict] = []
            verdicts.reserveCapacity(items.count)
            // As a scan does with feeds' new items: a batch is read on every core while one
            // thread first judges the batch before, its items one after another. A scan has no
            // pause between batches (feed tasks read while the scan judges); batches of 256, as
            // the near-duplicate benchmark's, keep the pauses few (50 cost 10% on two cores).
            // And as a scan, no reasons for the items surely ignored (`Reader.Reasons`).
            var unjudged: [(Item, Classifier.Reading)] = []
            let judgeUnjudged = {
                for (item, reading) in unjudged { verdicts.append(classifier.judge(item, reading)) }
                unjudged = []
            }
            for start in stride(from: 0, to: items.count, by: batch) {
                let slice = items[start..<min(items.count, start + batch)].map(\.item)
                let readings = classifier.read(slice, reasons: .whenPlausible, after: judgeUnjudged)
                unjudged = Array(zip(slice, readings))
            }
            judgeUnjudged()
            times.append(seconds(ContinuousClock.now - started))
            if round == 0 {
                for (item, verdict) in zip(items, verdicts) {
                    let truth = item.label == "joint", flagged = verdict.kind.isRelevant
                    if truth && flagged { truePositives += 1 } else if flagged { falsePositives += 1 } else if truth { falseNegatives += 1 }
                }
            }
        }
        let median = times.sorted()[times.count / 2]
        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : (Double(a) / Double(b) * 1000).rounded() / 1000 }
        print("""
            {"peer": "drillwatch", "version": "\(DrillwatchVersion.string)", "stage": "classify", "items": \(items.count), "bytes": \(bytes), \
            "corpus_docs": \(documents.count), "batch": \(batch), "cores": \(ProcessInfo.processInfo.activeProcessorCount), "fit_seconds": \((fit * 1000).rounded() / 1000), \
            "seconds": \((median * 1000).rounded() / 1000), "seconds_all": [\(times.map { String(($0 * 1000).rounded() / 1000) }.joined(separator: ", "))], \
            "items_per_s": \((Double(items.count) / median * 10).rounded() / 10), "mb_per_s": \((Double(bytes) / 1e6 / median * 100).rounded() / 100), \
            "peak_rss_mb": \(peakRSS()), "precision": \(ratio(truePositives, truePositives + falsePositives)), \
            "recall": \(ratio(truePositives, truePositives + falseNegatives))}
            """)
    }

    /// Cold passes (plain GETs) then warm passes (conditional GETs with the validators the cold
    /// pass got) over BASE_URL/index.txt, as the Python peer fetcher does. Loopback only.
    static func fetch(base: String, concurrency: Int, repeatCount: Int) async {
        guard let host = URL(string: base)?.host, host == "127.0.0.1" || host == "localhost" || host == "::1" else {
            FileHandle.standardError.write(Data("drillwatch-bench: fetch only talks to loopback addresses\n".utf8))
            exit(2)
        }
        let root = base.hasSuffix("/") ? base : base + "/"
        let client = HTTPClient(policy: FetchPolicy(totalTimeout: .seconds(10)), maxConcurrent: concurrency, maxPerHost: concurrency)
        guard let index = try? await client.fetch(HTTPRequest(url: root + "index.txt")), index.isSuccess else {
            FileHandle.standardError.write(Data("drillwatch-bench: \(root)index.txt cannot be fetched\n".utf8))
            exit(1)
        }
        let urls = String(decoding: index.body, as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { root + ($0.hasPrefix("/") ? String($0.dropFirst()) : $0) }
        var validators: [String: Validators] = [:]
        var coldTimes: [Double] = [], warmTimes: [Double] = []
        var coldStatus: [Int: Int] = [:], warmStatus: [Int: Int] = [:]
        var coldBytes = 0
        for warm in [false, true] {
            for _ in 0..<repeatCount {
                let started = ContinuousClock.now
                // Bodies are counted and dropped at once, as a scanner that parsed them would.
                let results = await withTaskGroup(of: (String, Int, Int, Validators?).self) { group in
                    for url in urls {
                        let request = HTTPRequest(url: url, validators: warm ? validators[url] ?? Validators() : Validators())
                        group.addTask {
                            guard let response = try? await client.fetch(request) else { return (url, -1, 0, nil) }
                            return (url, response.status, response.body.count, response.validators)
                        }
                    }
                    var all: [(String, Int, Int, Validators?)] = []
                    for await result in group { all.append(result) }
                    return all
                }
                let elapsed = seconds(ContinuousClock.now - started)
                var status: [Int: Int] = [:]
                var bytes = 0
                for (url, code, size, received) in results {
                    status[code, default: 0] += 1
                    bytes += size
                    if !warm, let received { validators[url] = received }
                }
                if warm { warmTimes.append(elapsed); warmStatus = status } else { coldTimes.append(elapsed); coldStatus = status; coldBytes = bytes }
            }
        }
        let cold = coldTimes.sorted()[coldTimes.count / 2], warm = warmTimes.sorted()[warmTimes.count / 2]
        func statuses(_ map: [Int: Int]) -> String {
            "{" + map.keys.sorted().map { "\"\($0)\": \(map[$0]!)" }.joined(separator: ", ") + "}"
        }
        print("""
            {"peer": "drillwatch-fetch", "version": "\(DrillwatchVersion.string)", "stage": "fetch", "items": \(urls.count), \
            "bytes": \(coldBytes), "seconds": \((cold * 10000).rounded() / 10000), "items_per_s": \((Double(urls.count) / cold * 10).rounded() / 10), \
            "mb_per_s": \((Double(coldBytes) / 1e6 / cold * 100).rounded() / 100), "peak_rss_mb": \(peakRSS()), "concurrency": \(concurrency), \
            "cold_status": \(statuses(coldStatus)), "warm_seconds": \((warm * 10000).rounded() / 10000), \
            "warm_feeds_per_s": \((Double(urls.count) / warm * 10).rounded() / 10), "warm_status": \(statuses(warmStatus))}
            """)
    }

    static func dedup(path: String, threshold: Double, repeatCount: Int) {
        let items = loadItems(path)
        let bytes = items.reduce(0) { $0 + $1.item.title.utf8.count + 1 + $1.item.text.utf8.count }
        let analyzer = Analyzer()
        let hasher = MinHasher(permutations: 128, bands: 32)
        var times: [Double] = []
        var pairs: [(Int, Int)] = []
        // Online, as a scan meets items: each is compared with those before it only. A
        // signature depends on its text alone, so a batch's are computed on every core (as a
        // scan computes them while it reads items) while one worker first looks up and
        // inserts the batch before, in order.
        let signature: @Sendable (Int) -> [UInt64] = { position in
            hasher.signature(analyzer.analyze(items[position].item.title + "\n" + items[position].item.text).map(\.surface))
        }
        for round in 0..<repeatCount {
            var index = NearDuplicateIndex(hasher: hasher)
            var found: [(Int, Int)] = []
            var waiting: [(position: Int, signature: [UInt64])] = []
            let lookUpAndInsert = {
                for (position, signature) in waiting {
                    for candidate in index.candidates(signature) where hasher.similarity(signature, index.signatures[candidate]) >= threshold {
                        found.append((candidate, position))
                    }
                    index.insert(signature)
                }
            }
            let started = ContinuousClock.now
            for start in stride(from: 0, to: items.count, by: 256) {
                let batch = Array(start..<min(start + 256, items.count))
                let signatures = concurrentMap(batch, after: lookUpAndInsert, signature)
                waiting = Array(zip(batch, signatures))
            }
            lookUpAndInsert()
            times.append(seconds(ContinuousClock.now - started))
            if round == 0 { pairs = found }
        }
        // Scored as the datasketch peer scores itself: a pair is right when both items share
        // an origin; a copy is found when it is in a right pair with an earlier item.
        var root: [Int: Int] = [:]
        for item in items { if let index = item.index { root[index] = item.dupOf ?? index } }
        let ids = items.map { $0.index ?? -1 }
        let right = pairs.filter { root[ids[$0.0]] == root[ids[$0.1]] }
        let foundCopies = Set(right.map(\.1))
        let present = Set(ids)
        let copies = items.indices.filter { items[$0].dupOf.map(present.contains) ?? false }
        let median = times.sorted()[times.count / 2]
        let precision = pairs.isEmpty ? 0 : Double(right.count) / Double(pairs.count)
        let recall = copies.isEmpty ? 0 : Double(copies.filter(foundCopies.contains).count) / Double(copies.count)
        print("""
            {"peer": "drillwatch", "version": "\(DrillwatchVersion.string)", "stage": "dedup-online", "items": \(items.count), "bytes": \(bytes), \
            "seconds": \((median * 1000).rounded() / 1000), "seconds_all": [\(times.map { String(($0 * 1000).rounded() / 1000) }.joined(separator: ", "))], \
            "items_per_s": \((Double(items.count) / median * 10).rounded() / 10), \
            "mb_per_s": \((Double(bytes) / 1e6 / median * 100).rounded() / 100), "peak_rss_mb": \(peakRSS()), \
            "threshold": \(threshold), "num_perm": 128, "pairs": \(pairs.count), "true_pairs": \(right.count), \
            "pair_precision": \((precision * 1000).rounded() / 1000), "dup_items": \(copies.count), \
            "dup_recall": \((recall * 1000).rounded() / 1000)}
            """)
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

    /// Parses each file from the file, as `drillwatch` reads a local feed: a chunk at a time,
    /// never the whole file in memory.
    static func parse(path: String, repeatCount: Int) {
        let files = feedFiles(at: path)
        let bytes = files.reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
        }
        var times: [Double] = []
        var items = 0
        var textBytes = 0
        for _ in 0..<repeatCount {
            items = 0
            textBytes = 0
            let started = ContinuousClock.now
            for file in files {
                _ = try? FeedParser.parse(contentsOfFile: file) { entry in
                    items += 1
                    textBytes += entry.text.utf8.count
                }
            }
            let elapsed = ContinuousClock.now - started
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        let median = times.sorted()[times.count / 2]
        let peakMiB = peakRSS()
        let line = """
            {"peer": "drillwatch", "version": "\(DrillwatchVersion.string)", "stage": "parse", "files": \(files.count), "items": \(items), \
            "bytes": \(bytes), "text_bytes": \(textBytes), "seconds": \(round(median * 1000) / 1000), \
            "seconds_all": [\(times.map { String(round($0 * 1000) / 1000) }.joined(separator: ", "))], \
            "items_per_s": \(round(Double(items) / median * 10) / 10), "mb_per_s": \(round(Double(bytes) / 1e6 / median * 100) / 100), \
            "peak_rss_mb": \(round(peakMiB * 10) / 10)}
            """
        print(line)
    }
}
