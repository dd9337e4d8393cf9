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

  /**
   * Judges what {@link #render} returned for several requests, one future each in order; a guard
   * may send them together. By default each alone.
   */
  default java.util.List<Future<GuardVerdict>> judgeRenderedAll(java.util.List<String> rendered) {
    java.util.List<Future<GuardVerdict>> each = new java.util.ArrayList<>(rendered.size());
    rendered.forEach(r -> each.add(judgeRendered(r)));
    return each;
  }

  @Override
  default java.util.List<Future<GuardVerdict>> judgeAll(java.util.List<GuardRequest> requests) {
    java.util.List<String> rendered = new java.util.ArrayList<>(requests.size());
    for (GuardRequest r : requests) {
      try {
        rendered.add(render(r));
      } catch (RuntimeException e) {
        return Guard.super.judgeAll(requests); // each fails, or is judged, on its own
      }
    }
    return judgeRenderedAll(rendered);
  }

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
