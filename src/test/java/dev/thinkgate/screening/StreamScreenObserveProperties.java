package dev.thinkgate.screening;

import static dev.thinkgate.screening.Chunks.chunk;
import static dev.thinkgate.screening.Chunks.onContext;
import static dev.thinkgate.screening.Chunks.policy;
import static dev.thinkgate.screening.Chunks.span;
import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.policy.ScreeningPolicy;
import dev.thinkgate.policy.ScreeningPolicy.GuardFailure;
import dev.thinkgate.policy.ScreeningPolicy.Release;
import dev.thinkgate.policy.ScreeningPolicy.SpanAction;
import dev.thinkgate.policy.ScreeningPolicy.SpanScreen;
import dev.thinkgate.stream.DeltaScan;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The raw relay's screening ({@link StreamScreen#canObserve} / {@link StreamScreen#observe}, the
 * text read from the chunk's bytes by {@link DeltaScan}, the chunk forwarded as it is when observe
 * says so) gives exactly what {@link StreamScreen#onChunk} gives for every chunk: the same chunks
 * downstream, in the same order, the same end, report, steps and guard calls. Over random texts
 * and chunkings (a span's text cut anywhere; role, finish reason and both spans sometimes in one
 * chunk; a stream cut by max_tokens while thinking), every release-at-once policy the relay
 * takes, and guard verdicts that come back at once (a cache hit, inside the call) or some chunks
 * later.
 */
class StreamScreenObserveProperties {

  private static final Vertx VERTX = Vertx.vertx();
  private static final Context CTX = VERTX.getOrCreateContext();
  private static final String[] WORDS = {"the", "cat", "sat", "on", "a", "mat", "bomb", "then",
      "we", "consider", "step", "one", "poison", "OK", "DONE", "é思", "🙂", "\"quoted\"", "back\\slash"};
  private static final String[] SEPARATORS = {" ", " ", "  ", "\n", " \n"};

  @AfterContainer
  static void closeVertx() throws Exception {
    VERTX.close().await(5, TimeUnit.SECONDS);
  }

  @Property(tries = 1500)
  void observingGivesWhatOnChunkGives(@ForAll long seed, @ForAll @IntRange(min = 0, max = 4) int maxLatency,
      @ForAll boolean syncGuard) {
    Random r = new Random(seed);
    ScreeningPolicy policy = policy(spanScreen(r, true), spanScreen(r, false), 1 + r.nextInt(6),
        4 + r.nextInt(20), r.nextBoolean() ? GuardFailure.FAIL_OPEN : GuardFailure.FAIL_CLOSED, 0);
    List<JsonObject> chunks = stream(r);
    Run viaChunks = drive(policy, chunks, seed, maxLatency, syncGuard, false);
    Run viaObserve = drive(policy, chunks, seed, maxLatency, syncGuard, true);

    assertThat(viaObserve.sink.chunks).as("chunks downstream").isEqualTo(viaChunks.sink.chunks);
    assertThat(viaObserve.sink.ends).isEqualTo(viaChunks.sink.ends);
    assertThat(viaObserve.report).isEqualTo(viaChunks.report);
    assertThat(viaObserve.steps).isEqualTo(viaChunks.steps);
    assertThat(viaObserve.guard.requests).isEqualTo(viaChunks.guard.requests);
  }

  @net.jqwik.api.Example
  void aVerdictGivenAtOnceThatBlocksAtTheEndEndsTheStreamOnce() {
    // found by the property above (verdicts given at once, as the verdict cache gives them): the
    // thinking's last checkpoint rode with the answer's at the end, the answer's unsafe verdict
    // blocked and ended the stream inside onEnd, and onEnd went on draining and blocked again,
    // sending a chunk after the end
    observingGivesWhatOnChunkGives(1441208L, 0, true);
  }

  @net.jqwik.api.Example
  void aVerdictThatHidesTheObservedChunksOwnSpanStillLetsItsFinishReasonThrough() {
    // checkpoint every word, verdicts at once: the chunk that completes "bomb" is hidden while
    // it is observed, and what is left of it (finish_reason length) goes out as onChunk sends it
    ScreeningPolicy policy = policy(span(Release.OPTIMISTIC, SpanAction.HIDE_REASONING),
        SpanScreen.DISABLED, 1, 16, GuardFailure.FAIL_OPEN, 0);
    List<JsonObject> chunks = List.of(
        chunk(new JsonObject().put("role", "assistant").put("content", ""), null),
        chunk(new JsonObject().put("reasoning_content", "we build a"), null),
        chunk(new JsonObject().put("reasoning_content", " bomb "), "length"));
    Run viaChunks = drive(policy, chunks, 1, 0, true, false);
    Run viaObserve = drive(policy, chunks, 1, 0, true, true);

    assertThat(viaObserve.sink.chunks).isEqualTo(viaChunks.sink.chunks);
    assertThat(viaChunks.sink.chunks).last().satisfies(last -> {
      JsonObject choice = last.getJsonArray("choices").getJsonObject(0);
      assertThat(choice.getString("finish_reason")).isEqualTo("length");
      assertThat(choice.getJsonObject("delta").getString("reasoning_content")).isNull();
    });
  }

  /** A span the raw relay screens: off, optimistic with a stopping or hiding action, or shadow. */
  private static SpanScreen spanScreen(Random r, boolean thinking) {
    return switch (r.nextInt(6)) {
      case 0 -> SpanScreen.DISABLED;
      case 1 -> span(Release.OPTIMISTIC, SpanAction.BLOCK);
      case 2 -> span(Release.OPTIMISTIC, thinking ? SpanAction.HIDE_REASONING : SpanAction.BLOCK);
      case 3 -> span(Release.OPTIMISTIC, SpanAction.LOG_ONLY);
      case 4 -> span(Release.OPTIMISTIC, SpanAction.HIDE_REASONING);
      default -> span(Release.SHADOW, SpanAction.values()[r.nextInt(SpanAction.values().length)]);
    };
  }

  private static List<JsonObject> stream(Random r) {
    String thinking = text(r, 1 + r.nextInt(40));
    String answer = text(r, r.nextInt(25));
    List<String> thinkPieces = pieces(r, thinking);
    List<String> answerPieces = pieces(r, answer);
    List<JsonObject> chunks = new ArrayList<>();
    // the role alone, or with the first thought
    JsonObject role = new JsonObject().put("role", "assistant");
    if (r.nextBoolean() && !thinkPieces.isEmpty()) {
      role.put("reasoning_content", thinkPieces.remove(0));
    } else {
      role.put("content", "");
    }
    chunks.add(chunk(role, null));
    boolean cutInThought = r.nextInt(5) == 0; // max_tokens reached while thinking
    if (cutInThought) {
      answerPieces.clear();
    }
    for (int i = 0; i < thinkPieces.size(); i++) {
      boolean last = i == thinkPieces.size() - 1;
      chunks.add(chunk(new JsonObject().put("reasoning_content", thinkPieces.get(i)),
          cutInThought && last ? "length" : null));
    }
    for (int i = 0; i < answerPieces.size(); i++) {
      JsonObject delta = new JsonObject().put("content", answerPieces.get(i));
      if (i == 0 && r.nextInt(4) == 0 && !chunks.isEmpty()) {
        delta.put("reasoning_content", " and so"); // both spans in one chunk: split, never observed
      }
      boolean last = i == answerPieces.size() - 1;
      chunks.add(chunk(delta, last && r.nextBoolean() ? "stop" : null));
    }
    if (lastFinish(chunks) == null) {
      chunks.add(chunk(new JsonObject(), "stop"));
    }
    if (r.nextBoolean()) {
      chunks.add(Chunks.usage());
    }
    return chunks;
  }

  private static String lastFinish(List<JsonObject> chunks) {
    return chunks.get(chunks.size() - 1).getJsonArray("choices").getJsonObject(0)
        .getString("finish_reason");
  }

  private static String text(Random r, int words) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        sb.append(SEPARATORS[r.nextInt(SEPARATORS.length)]);
      }
      sb.append(WORDS[r.nextInt(WORDS.length)]);
    }
    return sb.toString();
  }

  private static List<String> pieces(Random r, String text) {
    List<String> out = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      int len = 1 + r.nextInt(10);
      int end = Math.min(text.length(), i + len);
      if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
        end++; // never split a surrogate pair: the upstream's UTF-8 cannot
      }
      out.add(text.substring(i, end));
      i = end;
    }
    return out;
  }

  record Run(RecordingSink sink, ScreenReport report, List<StreamScreen.Step> steps, FakeGuard guard) {}

  private static Run drive(ScreeningPolicy policy, List<JsonObject> chunks, long seed, int maxLatency,
      boolean syncGuard, boolean observe) {
    return onContext(CTX, () -> {
      Random r = new Random(~seed);
      FakeGuard guard = new FakeGuard().unsafe("bomb", "S9").unsafe("poison", "S1");
      if (!syncGuard) {
        guard.manual();
      }
      RecordingSink sink = new RecordingSink();
      StreamScreen screen = new StreamScreen(policy, guard, "Tell me something", sink, VERTX,
          () -> 0L, ScreenListener.NONE);
      Map<FakeGuard.Call, Integer> latency = new IdentityHashMap<>();
      int step = 0;
      for (JsonObject original : chunks) {
        JsonObject c = original.copy();
        if (!observe) {
          screen.onChunk(c);
        } else {
          byte[] bytes = c.encode().getBytes(StandardCharsets.UTF_8);
          DeltaScan.Delta d = DeltaScan.scan(bytes, 0, bytes.length);
          if (!c.getJsonArray("choices").isEmpty()) {
            assertThat(d).as("a one-choice chunk scans").isNotNull();
          }
          if (d != null && screen.canObserve(d.reasoning(), d.content())) {
            // the relay forwards the bytes as they are, when and if the screen says
            screen.observe(d.reasoning(), d.content(), () -> original.copy(), () -> sink.onChunk(c));
          } else {
            screen.onChunk(c);
          }
        }
        step++;
        guard.clock = step;
        while (!guard.pending.isEmpty()) {
          FakeGuard.Call oldest = guard.pending.get(0);
          int due = latency.computeIfAbsent(oldest, x -> r.nextInt(maxLatency + 1));
          if (step - oldest.createdAt() < due) {
            break;
          }
          guard.completeOldest();
        }
      }
      screen.onEnd();
      guard.completeAll();
      return new Run(sink, screen.report(), screen.steps(), guard);
    });
  }
}
