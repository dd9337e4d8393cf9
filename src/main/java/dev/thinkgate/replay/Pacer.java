package dev.thinkgate.replay;

import dev.thinkgate.guard.Guard;
import dev.thinkgate.guard.GuardRequest;
import dev.thinkgate.guard.GuardVerdict;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Paces a replay the way a live stream is paced by a guard that keeps up with the model: the next
 * token is fed only once every guard call started so far has answered and its verdict has been
 * acted on. So each checkpoint is judged on its own window, exactly as live screening judges it
 * when tokens arrive slower than verdicts, whatever the replay guard's latency. Guards wrapped by
 * {@link #wrap} count their calls here. Confined to one context: the one the replay runs on.
 */
final class Pacer {
  private final Context context;
  private int inFlight;
  private Promise<Void> waiter;

  Pacer(Context context) {
    this.context = context;
  }

  /** {@code guard}, with its calls counted and their results delivered on the replay's context. */
  Guard wrap(Guard guard) {
    return new Guard() {
      private final Map<Future<GuardVerdict>, Future<GuardVerdict>> calls = new IdentityHashMap<>();

      @Override
      public String name() {
        return guard.name();
      }

      @Override
      public Future<GuardVerdict> judge(GuardRequest request) {
        Future<GuardVerdict> call;
        try {
          call = guard.judge(request);
        } catch (RuntimeException e) {
          call = Future.failedFuture(e);
        }
        inFlight++;
        Promise<GuardVerdict> delivered = Promise.promise();
        Future<GuardVerdict> underlying = call;
        calls.put(delivered.future(), underlying);
        underlying.onComplete(ar -> context.runOnContext(v -> {
          calls.remove(delivered.future());
          // The screen acts on the verdict (and may start its next call) before the count drops.
          delivered.handle(ar);
          inFlight--;
          signal();
        }));
        return delivered.future();
      }

      @Override
      public void cancel(Future<GuardVerdict> call) {
        Future<GuardVerdict> underlying = calls.get(call);
        if (underlying != null) {
          guard.cancel(underlying);
        }
      }
    };
  }

  /** Completes (on the context) once no wrapped call is out. */
  Future<Void> idle() {
    Promise<Void> p = Promise.promise();
    if (waiter != null) {
      waiter.future().onComplete(p);
    } else {
      waiter = p;
    }
    signal();
    return p.future();
  }

  private void signal() {
    if (inFlight != 0 || waiter == null) {
      return;
    }
    Promise<Void> w = waiter;
    waiter = null;
    // One more turn: a verdict handler that hops contexts gets to start its follow-up call first.
    context.runOnContext(v -> {
      if (inFlight == 0) {
        w.complete();
      } else if (waiter == null) {
        waiter = w;
      } else {
        waiter.future().onComplete(w);
      }
    });
  }
}
