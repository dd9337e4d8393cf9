package dev.thinkgate.guard;

import io.vertx.core.Future;

/**
 * A safety judge (Llama Guard 3/4, Qwen3Guard, ...). Implementations never report "safe" for an
 * answer they could not parse: that is a failed future with a {@link GuardException}.
 */
public interface Guard {
  /** The guard's configured name ({@code default} in the quick start). */
  String name();

  Future<GuardVerdict> judge(GuardRequest request);

  /**
   * Judges several requests at once, one future each in order: a guard that can send them in one
   * call does (vLLM's completions API takes a list of prompts), saving the guard server and the
   * gateway a request each. By default each is judged alone. Each future can be cancelled alone.
   */
  default java.util.List<Future<GuardVerdict>> judgeAll(java.util.List<GuardRequest> requests) {
    java.util.List<Future<GuardVerdict>> each = new java.util.ArrayList<>(requests.size());
    requests.forEach(r -> each.add(judge(r)));
    return each;
  }

  /**
   * A configuration reload replaced this guard (its settings changed or it is gone): it stops
   * reporting metrics at once, since its replacement reports under the same name, keeps serving
   * the calls of requests that began before the reload, and closes its connections after
   * {@code drainMs}, by when those requests have ended.
   */
  default void retire(long drainMs) {}

  /**
   * Gives up on a call this guard returned (the client went away): a queued call is dropped, a
   * call in flight is reset, and the future fails with {@link GuardException.Kind#CANCELLED}.
   * Best effort and idempotent; a cancelled call never counts against the guard's health.
   */
  default void cancel(Future<GuardVerdict> call) {}
}
