package dev.thinkgate.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Unpaced traffic through the targets a scenario measures, before it measures them, so that the
 * JVM has compiled every path the measurement runs. A path taken once a request (parsing,
 * admission, the upstream call's setup) or once a guard call (the verdict cache, the guard's
 * HTTP exchange) needs thousands of requests before C2 compiles it; at 32 paced streams that is
 * minutes, so without this the relay's rounds measured those paths in C1's profiling tier.
 */
final class JitWarmUp {
  private static final Duration ROUND = Duration.ofSeconds(2);

  private JitWarmUp() {}

  /**
   * Rounds of {@code concurrency} unpaced streams on each target in turn until {@code seconds}
   * have passed; the progress lines show requests/s settling as the JIT catches up.
   *
   * @return each round's target and requests/s, in order
   */
  static JsonArray run(String scenario, List<Target> targets, int concurrency, double seconds,
      LoadClient client, BenchEnvironment env, Progress progress, String markers) {
    JsonArray rounds = new JsonArray();
    if (seconds <= 0) {
      return rounds;
    }
    long end = System.nanoTime() + (long) (seconds * 1e9);
    progress.line(String.format(Locale.ROOT, "%s: JIT warm-up, %.0f s of unpaced traffic at %d"
        + " streams on %s", scenario, seconds, concurrency,
        String.join(", ", targets.stream().map(Target::label).toList())));
    while (System.nanoTime() < end) {
      for (Target target : targets) {
        Measurement m = client.runRound(target, concurrency, ROUND,
            () -> client.uniquePrompt(markers));
        Measurement.Row row = m.row(target.label(), concurrency);
        progress.round(scenario + " jit warm-up", row);
        rounds.add(new JsonObject().put("target", target.label())
            .put("requests_per_second", LatencyTable.round(row.requestsPerSecond(), 1)));
      }
      env.forgetRequests();
    }
    return rounds;
  }
}
