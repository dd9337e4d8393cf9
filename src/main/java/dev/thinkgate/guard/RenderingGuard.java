package dev.thinkgate.guard;

import io.vertx.core.Future;

/**
 * A guard whose call is the text it renders for a request, so a cache in front of it renders
 * once: it hashes the text for its key and, on a miss, hands the same text to
 * {@link #judgeRendered}. {@code judgeRendered(render(r))} is {@code judge(r)}.
 */
public interface RenderingGuard extends Guard {

  /** The exact text sent for {@code request}: the raw prompt, or the encoded conversation. */
  String render(GuardRequest request);

  /** Judges what {@link #render} returned. */
  Future<GuardVerdict> judgeRendered(String rendered);

  @Override
  default Future<GuardVerdict> judge(GuardRequest request) {
    String rendered;
    try {
      rendered = render(request);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return judgeRendered(rendered);
  }
}
