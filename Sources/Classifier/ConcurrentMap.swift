import Dispatch
import Foundation

/// `transform` of every element, computed on every core and returned in the elements' order.
/// Worker `w` takes elements `w`, `w + workers`, …, so items of uneven cost spread evenly.
/// `transform` must be safe to call from several threads at once.
package func concurrentMap<Element: Sendable, Result>(
    _ elements: [Element], workers: Int = ProcessInfo.processInfo.activeProcessorCount,
    _ transform: @Sendable (Element) -> Result
) -> [Result] {
    let workers = min(elements.count, workers)
    guard workers > 1 else { return elements.map(transform) }
    var results = [Result?](repeating: nil, count: elements.count)
    results.withUnsafeMutableBufferPointer { buffer in
        let slots = DisjointSlots(buffer: buffer)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: elements.count, by: workers) { slots.buffer[index] = transform(elements[index]) }
        }
    }
    return results.map { $0! }
}

/// The slots of a result buffer that concurrent workers fill. `@unchecked Sendable`: each index
/// is written by exactly one worker, and the buffer is read only after `concurrentPerform`
/// returns, which waits for every worker.
private struct DisjointSlots<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
}
