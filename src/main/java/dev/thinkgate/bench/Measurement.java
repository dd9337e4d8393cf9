package dev.thinkgate.bench;

/**
 * Streams of one target accumulated over one or more rounds: counts, elapsed time and the
 * client-side latency samples. Not thread-safe (filled on the load client's event loop).
 */
final class Measurement {
  final Samples ttft = new Samples();
  final Samples gaps = new Samples();
  final Samples total = new Samples();
  private long requests;
  private long chunks;
  private long errors;
  private long elapsedNanos;
  private String firstError;

  void record(StreamResult r) {
    if (!r.ok()) {
      errors++;
      if (firstError == null) {
        firstError = r.error();
      }
      return;
    }
    requests++;
    chunks += r.chunks();
    ttft.addNanos(r.ttftNanos());
    total.addNanos(r.totalNanos());
  }

  void addElapsed(long nanos) {
    elapsedNanos += nanos;
  }

  void addAll(Measurement other) {
    requests += other.requests;
    chunks += other.chunks;
    errors += other.errors;
    elapsedNanos += other.elapsedNanos;
    if (firstError == null) {
      firstError = other.firstError;
    }
    ttft.addAll(other.ttft);
    gaps.addAll(other.gaps);
    total.addAll(other.total);
  }

  /** SSE data events received by the successful streams. */
  long chunks() {
    return chunks;
  }

  /** The figures of a report row. */
  Row row(String label, int concurrency) {
    double seconds = elapsedNanos / 1e9;
    return new Row(label, concurrency, requests, errors, seconds > 0 ? requests / seconds : 0,
        requests == 0 ? 0 : (double) chunks / requests, ttft.distribution(), gaps.distribution(), total.distribution(), firstError);
  }

  /**
   * One row of a latency table.
   *
   * @param requestsPerSecond successful streams completed per second of round time
   * @param chunksPerRequest SSE data events a client received per stream
   */
  record Row(String label, int concurrency, long requests, long errors, double requestsPerSecond,
      double chunksPerRequest,
      Samples.Distribution ttft, Samples.Distribution gap, Samples.Distribution total,
      String firstError) {}
}
