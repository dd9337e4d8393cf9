package dev.thinkgate.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.guard.Guard;
import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.guard.GuardVerdict;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ReplayJob}: input order kept under concurrency, gzip input, resume, refusals. */
class ReplayJobTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(5, TimeUnit.SECONDS);
  }

  /** Unsafe when the text mentions "bomb"; answers after a random few milliseconds. */
  private static final class LexiconGuard implements Guard {
    private final Random random = new Random(7);

    @Override
    public String name() {
      return "default";
    }

    @Override
    public Future<GuardVerdict> judge(GuardRequest r) {
      String text = r.isInput() ? r.userPrompt() : r.assistantText();
      GuardVerdict v = text.contains("bomb") ? new GuardVerdict(false, List.of("S9"), 1, false)
          : GuardVerdict.safe(1);
      int delay;
      synchronized (random) {
        delay = random.nextInt(4);
      }
      if (delay == 0) {
        return Future.succeededFuture(v);
      }
      io.vertx.core.Promise<GuardVerdict> p = io.vertx.core.Promise.promise();
      vertx.setTimer(delay, id -> p.complete(v));
      return p.future();
    }
  }

  private static Policy strict() {
    ScreeningPolicy s = new ScreeningPolicy("default", null,
        new SpanScreen(true, Release.HOLD, SpanAction.HIDE_REASONING),
        new SpanScreen(true, Release.HOLD, SpanAction.BLOCK), 3, 12, GuardFailure.FAIL_OPEN,
        List.of(), null, 0, null);
    return new Policy("strict", null, null, null, s, null);
  }

  private static ReplayJob job(Policy policy, int concurrency) {
    Guard guard = new LexiconGuard();
    RecordReplayer replayer = new RecordReplayer(vertx, n -> null, n -> guard, () -> 0L);
    return new ReplayJob(replayer, policy, concurrency, new PrintStream(OutputStream.nullOutputStream()),
        false, System::nanoTime);
  }

  /** {@code n} records; every 5th has a bomb in its thinking, every 7th its prompt redacted. */
  private static Path audit(Path dir, int n) throws Exception {
    Path file = dir.resolve("in").resolve("audit-1.jsonl.gz");
    Files.createDirectories(file.getParent());
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      for (int i = 0; i < n; i++) {
        String thinking = "step one then step two and " + (i % 5 == 0 ? "a bomb" : "a cake")
            + " and more words to judge here " + "x ".repeat(i % 11);
        JsonObject r = new JsonObject().put("id", "r" + i).put("policy", "passthrough")
            .put("mode", "passthrough").put("model", "m").put("group", "g" + i)
            .put("prompt", i % 7 == 3 ? "sha256:abc" : "prompt " + i)
            .put("thinking", thinking).put("answer", "The answer is " + i + ".")
            .put("action", "pass").put("finish_reason", "stop");
        out.write((r.encode() + "\n").getBytes(StandardCharsets.UTF_8));
        if (i == 10) {
          out.write("{not json\n".getBytes(StandardCharsets.UTF_8));
        }
      }
    }
    return file.getParent();
  }

  @Test
  void recordsComeOutInInputOrderUnderConcurrency(@TempDir Path dir) throws Exception {
    // Given 60 gzipped records, 9 of them with a redacted prompt and one bad line
    Path in = audit(dir, 60);

    // When they are replayed 16 at a time
    ReplayJob.Summary s = job(strict(), 16).run(List.of(in), dir.resolve("out"));

    // Then every replayable record is written once, in input order
    List<String> lines = Files.readAllLines(s.output());
    List<String> ids = lines.stream().map(l -> new JsonObject(l).getString("id")).toList();
    List<String> expected = java.util.stream.IntStream.range(0, 60).filter(i -> i % 7 != 3)
        .mapToObj(i -> "r" + i).toList();
    assertThat(ids).isEqualTo(expected);
    assertThat(s.read()).isEqualTo(60);
    assertThat(s.replayed()).isEqualTo(expected.size());
    assertThat(s.skipped()).containsEntry("prompt_redacted", 9L);
    assertThat(s.badLines()).isEqualTo(1);
    assertThat(s.actions()).containsEntry("hide_reasoning", 10L);
    assertThat(new JsonObject(lines.get(0)).getString("action")).isEqualTo("hide_reasoning");
    JsonObject state = new JsonObject(Files.readString(dir.resolve("out").resolve(ReplayJob.STATE)));
    assertThat(state.getBoolean("complete")).isTrue();
    assertThat(state.getLong("records")).isEqualTo(60);
  }

  @Test
  void aSlowRecordHoldsBackAtMostConcurrencyRecordsNotTheWholeInput(@TempDir Path dir)
      throws Exception {
    // Given 40 records, the first of which the guard does not answer until told to
    Path in = audit(dir, 40);
    io.vertx.core.Promise<Void> release = io.vertx.core.Promise.promise();
    java.util.Set<String> judgedWhileStalled = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Guard guard = new Guard() {
      @Override
      public String name() {
        return "default";
      }

      @Override
      public Future<GuardVerdict> judge(GuardRequest r) {
        if (r.userPrompt().equals("prompt 0")) {
          return release.future().map(v -> GuardVerdict.safe(1));
        }
        if (!release.future().isComplete()) {
          judgedWhileStalled.add(r.userPrompt());
        }
        return Future.succeededFuture(GuardVerdict.safe(1));
      }
    };
    RecordReplayer replayer = new RecordReplayer(vertx, n -> null, n -> guard, () -> 0L);
    ReplayJob job = new ReplayJob(replayer, strict(), 4,
        new PrintStream(OutputStream.nullOutputStream()), false, System::nanoTime);

    // When it runs 4 at a time and record 0 stalls
    java.util.concurrent.CompletableFuture<ReplayJob.Summary> run =
        new java.util.concurrent.CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try {
        run.complete(job.run(List.of(in), dir.resolve("out")));
      } catch (Exception e) {
        run.completeExceptionally(e);
      }
    }, "replay-reader");
    reader.start();
    // until the reader has run as far ahead as it may and waits for a slot
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(reader.getState() == Thread.State.WAITING && judgedWhileStalled.size() == 2)
        && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    java.util.Set<String> started = java.util.Set.copyOf(judgedWhileStalled);
    Thread.State state = reader.getState();
    vertx.runOnContext(v -> release.complete());
    ReplayJob.Summary s = run.get(30, TimeUnit.SECONDS);

    // Then only the 3 records after it were read meanwhile (record 3's prompt is redacted, so
    // 2 judged), the reader waited, and all were written in order
    assertThat(started).containsExactlyInAnyOrder("prompt 1", "prompt 2");
    assertThat(state).isEqualTo(Thread.State.WAITING);
    assertThat(s.replayed()).isEqualTo(40 - 6);
    List<String> ids = Files.readAllLines(s.output()).stream()
        .map(l -> new JsonObject(l).getString("id")).toList();
    assertThat(ids.get(0)).isEqualTo("r0");
  }

  @Test
  void anInterruptedReplayResumesWhereItsStateSaysAndEndsWithTheSameOutput(@TempDir Path dir)
      throws Exception {
    Path in = audit(dir, 40);
    Path full = dir.resolve("full");
    job(strict(), 4).run(List.of(in), full);
    byte[] expected = Files.readAllBytes(ReplayJob.output(full, "strict"));

    // Given a run that stopped after 17 records, with half a line written after its last state
    Path out = dir.resolve("out");
    Files.createDirectories(out);
    List<String> lines = Files.readAllLines(ReplayJob.output(full, "strict"));
    int written = (int) lines.stream().limit(40).filter(l -> {
      int id = Integer.parseInt(new JsonObject(l).getString("id").substring(1));
      return id < 17;
    }).count();
    StringBuilder prefix = new StringBuilder();
    lines.stream().limit(written).forEach(l -> prefix.append(l).append('\n'));
    byte[] prefixBytes = prefix.toString().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream partial = new ByteArrayOutputStream();
    partial.write(prefixBytes);
    partial.write(lines.get(written).substring(0, 30).getBytes(StandardCharsets.UTF_8));
    Files.write(ReplayJob.output(out, "strict"), partial.toByteArray());
    JsonObject fullState = new JsonObject(Files.readString(full.resolve(ReplayJob.STATE)));
    Files.writeString(out.resolve(ReplayJob.STATE), fullState.copy().put("records", 17)
        .put("output_bytes", prefixBytes.length).put("complete", false).encode());

    // When it is run again into the same directory
    ReplayJob.Summary s = job(strict(), 4).run(List.of(in), out);

    // Then it skipped what was done, dropped the cut line, and the output is the full run's
    assertThat(s.resumedPast()).isEqualTo(17);
    assertThat(s.replayed()).isEqualTo(lines.size() - written);
    assertThat(Files.readAllBytes(ReplayJob.output(out, "strict"))).isEqualTo(expected);

    // And a third run finds it complete and changes nothing
    ReplayJob.Summary again = job(strict(), 4).run(List.of(in), out);
    assertThat(again.replayed()).isZero();
    assertThat(Files.readAllBytes(ReplayJob.output(out, "strict"))).isEqualTo(expected);
  }

  @Test
  void aDirectoryHoldingAnotherPolicysReplayIsRefusedNotOverwritten(@TempDir Path dir)
      throws Exception {
    Path in = audit(dir, 5);
    Path out = dir.resolve("out");
    job(strict(), 2).run(List.of(in), out);
    Policy other = new Policy("balanced", null, null, null, strict().screening(), null);

    assertThatThrownBy(() -> job(other, 2).run(List.of(in), out))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("policy 'strict'").hasMessageContaining("another --out");
    assertThat(ReplayJob.output(out, "balanced")).doesNotExist();
  }
}
