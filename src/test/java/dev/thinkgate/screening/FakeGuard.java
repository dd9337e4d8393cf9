package dev.thinkgate.screening;

import dev.thinkgate.guard.Guard;
import dev.thinkgate.guard.GuardException;
import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.guard.GuardVerdict;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A lexicon guard for tests: a text is unsafe when it contains a listed phrase. Calls complete at
 * once, or (manual mode) only when the test completes them; errors can be injected.
 */
final class FakeGuard implements Guard {

  record Call(GuardRequest request, Promise<GuardVerdict> promise, int createdAt) {}

  private final Map<String, String> lexicon = new LinkedHashMap<>();
  private boolean manual;
  private GuardException.Kind failWith;
  final List<GuardRequest> requests = new ArrayList<>();
  /** Each {@link #judgeAll} call's requests, in order. */
  final List<List<GuardRequest>> batches = new ArrayList<>();
  final List<Call> pending = new ArrayList<>();
  final List<Future<GuardVerdict>> cancelled = new ArrayList<>();
  int maxInFlight;
  int clock;
  String controversialPhrase;

  FakeGuard unsafe(String phrase, String code) {
    lexicon.put(phrase.toLowerCase(Locale.ROOT), code);
    return this;
  }

  FakeGuard manual() {
    manual = true;
    return this;
  }

  FakeGuard failing(GuardException.Kind kind) {
    failWith = kind;
    return this;
  }

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public Future<GuardVerdict> judge(GuardRequest request) {
    requests.add(request);
    if (!manual) {
      return answer(request);
    }
    Promise<GuardVerdict> p = Promise.promise();
    pending.add(new Call(request, p, clock));
    maxInFlight = Math.max(maxInFlight, pending.size());
    return p.future();
  }

  @Override
  public List<Future<GuardVerdict>> judgeAll(List<GuardRequest> requests) {
    batches.add(List.copyOf(requests));
    return Guard.super.judgeAll(requests);
  }

  @Override
  public void cancel(Future<GuardVerdict> call) {
    cancelled.add(call);
  }

  GuardVerdict verdictFor(GuardRequest request) {
    String text = (request.isInput() ? request.userPrompt() : request.assistantText()).toLowerCase(Locale.ROOT);
    List<String> codes = new ArrayList<>();
    for (Map.Entry<String, String> e : lexicon.entrySet()) {
      if (text.contains(e.getKey()) && !codes.contains(e.getValue())) {
        codes.add(e.getValue());
      }
    }
    if (controversialPhrase != null && text.contains(controversialPhrase)) {
      codes.add(0, "Controversial");
    }
    return codes.isEmpty() ? GuardVerdict.safe(5) : new GuardVerdict(false, codes, 5, false);
  }

  private Future<GuardVerdict> answer(GuardRequest request) {
    if (failWith != null) {
      return Future.failedFuture(new GuardException(failWith, "injected " + failWith));
    }
    return Future.succeededFuture(verdictFor(request));
  }

  /** Completes the oldest pending call with its lexicon verdict (or the injected failure). */
  void completeOldest() {
    Call c = pending.remove(0);
    Future<GuardVerdict> f = answer(c.request());
    if (f.succeeded()) {
      c.promise().complete(f.result());
    } else {
      c.promise().fail(f.cause());
    }
  }

  void completeAll() {
    while (!pending.isEmpty()) {
      completeOldest();
    }
  }
}
