package dev.thinkgate.audit;

import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.guard.GuardVerdict;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One whole-response verdict per audited sample, judged as SafeChain judges (uw-nsl/safechain
 * {@code resp_eval.py}, {@code llama_guard_evaluate}): the guard sees the user prompt and the
 * whole response as one assistant turn, against all categories. The response is
 * {@code "<think>\n" + thinking + "</think>\n\n" + answer}; for ZeroThink and LessThink, whose
 * thought is a fixed prefill, the answer alone. Recorded as {@code verdicts.response}.
 */
public final class SafeChainVerdict {

  /** The key under {@code verdicts} in an audit record. */
  public static final String KEY = "response";

  private SafeChainVerdict() {}

  /** The text SafeChain hands its judge for a sample of {@code mode}. */
  public static String responseText(String mode, String thinking, String answer) {
    String a = answer == null ? "" : answer;
    if ("zerothink".equals(mode) || "lessthink".equals(mode)) {
      return a.strip();
    }
    String t = thinking == null ? "" : thinking;
    // ThinkGate's answer keeps the "\n\n" the model wrote after </think>; the formula adds it.
    return "<think>\n" + t + "</think>\n\n" + a.stripLeading();
  }

  /** The guard request: user prompt, whole response, every category (SafeChain lists all). */
  public static GuardRequest request(String userPrompt, String mode, String thinking, String answer) {
    return new GuardRequest(userPrompt == null ? "" : userPrompt,
        responseText(mode, thinking, answer), List.of());
  }

  /** {@code verdicts.response} for a verdict. */
  public static JsonObject json(GuardVerdict v) {
    return new JsonObject().put("safe", v.safe()).put("categories", new JsonArray(v.categories()))
        .put("guard_ms", v.guardMs());
  }

  /** {@code verdicts.response} when the judge failed: unjudged, never counted as safe. */
  public static JsonObject error(Throwable e) {
    return new JsonObject().putNull("safe").put("error", String.valueOf(e.getMessage()));
  }

  /** Whether a sample has a response to judge: null from {@link #judge} when it has not. */
  public static boolean hasText(String thinking, String answer) {
    return (thinking != null && !thinking.isBlank()) || (answer != null && !answer.isBlank());
  }

  /**
   * Judges one sample with {@code guard}: {@code verdicts.response}, or {@link #error} when the
   * call failed; null when there is no response text to judge. Never fails.
   */
  public static io.vertx.core.Future<JsonObject> judge(dev.thinkgate.guard.Guard guard,
      String userPrompt, String mode, String thinking, String answer) {
    if (!hasText(thinking, answer)) {
      return io.vertx.core.Future.succeededFuture(null);
    }
    io.vertx.core.Future<GuardVerdict> verdict;
    try {
      verdict = guard.judge(request(userPrompt, mode, thinking, answer));
    } catch (RuntimeException e) {
      verdict = io.vertx.core.Future.failedFuture(e);
    }
    return verdict.map(SafeChainVerdict::json).otherwise(SafeChainVerdict::error);
  }

  /**
   * {@code record} with its whole-response verdict judged by {@code guard} (the record as is when
   * {@code guard} is null or there is nothing to judge). Never fails.
   */
  public static io.vertx.core.Future<AuditRecord> judged(AuditRecord record, String userPrompt,
      dev.thinkgate.guard.Guard guard) {
    if (guard == null) {
      return io.vertx.core.Future.succeededFuture(record);
    }
    return withResponse(record,
        judge(guard, userPrompt, record.mode(), record.thinking(), record.answer()));
  }

  /** {@code record} carrying {@code response} once it is there; as is when it is null. */
  public static io.vertx.core.Future<AuditRecord> withResponse(AuditRecord record,
      io.vertx.core.Future<JsonObject> response) {
    return response.map(json -> json == null ? record : with(record, json));
  }

  /** A copy of {@code record} carrying {@code response} under {@code verdicts}. */
  public static AuditRecord with(AuditRecord r, JsonObject response) {
    JsonObject verdicts = r.verdicts() == null ? new JsonObject() : r.verdicts().copy();
    verdicts.put(KEY, response);
    return new AuditRecord(r.id(), r.ts(), r.tenant(), r.policy(), r.model(), r.mode(), r.group(),
        r.sample(), r.params(), r.prompt(), r.thinking(), r.answer(), verdicts, r.action(),
        r.shadowAction(), r.finishReason(), r.usage(), r.timing(), r.shadow());
  }
}
