import Foundation
import FuzzTargets

// Built for fuzzing by `scripts/fuzz`, with `-sanitize=fuzzer` (which links libFuzzer) and
// `-D FUZZING`. The target is chosen once, from `DRILLWATCH_FUZZ_TARGET`, so that one binary
// serves every target and the toolchain instruments the package once.

private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["DRILLWATCH_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set DRILLWATCH_FUZZ_TARGET to one of: \(names)")
    }
    return target
}()

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}

#if FUZZING
/// libFuzzer's driver, linked in by `-sanitize=fuzzer`. Calling it from `main` (rather than
/// letting libFuzzer own `main`) keeps SwiftPM's executable layout unchanged.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif

@main
struct FuzzMain {
    static func main() {
        #if FUZZING
        var argc = CommandLine.argc
        var argv = Optional(CommandLine.unsafeArgv)
        exit(runFuzzerDriver(&argc, &argv) { data, count in fuzzOneInput(data, count) })
        #else
        // Without libFuzzer: replay the files named on the command line through the target,
        // which is how a crash input is looked at in a debugger.
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                continue
            }
            print("\(target.rawValue): \(path)")
            _ = fuzzOneInput(Array(data), data.count)
        }
        #endif
    }
}
