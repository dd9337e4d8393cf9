package dev.thinkgate.config;

import dev.thinkgate.api.openai.OpenAiException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The admin endpoints, all behind {@code Authorization: Bearer <admin key>}:
 * <ul>
 *   <li>{@code GET /admin/config} — the effective configuration as JSON, secrets masked;
 *   <li>{@code GET /admin/reload} — the last reload's status, time and errors;
 *   <li>{@code POST /admin/reload} — reload now (200 applied/unchanged, 422 refused).
 * </ul>
 * Without a configured admin key hash every request gets 401. The reload runs on a worker
 * thread, never the event loop.
 */
public final class AdminApi {
  private final ConfigStore store;
  private final byte[] adminKeyDigest;
  private final java.util.function.Supplier<JsonObject> prefillDecisions;

  /** @param adminKeyHash {@code sha256:<hex>} of the admin key; null disables the admin API */
  public AdminApi(ConfigStore store, String adminKeyHash) {
    this(store, adminKeyHash, null);
  }

  /**
   * @param prefillDecisions each route's prefill decision (route model → decision), shown as
   *     {@code prefill_decisions} in {@code /admin/config}; null = not shown
   */
  public AdminApi(ConfigStore store, String adminKeyHash,
      java.util.function.Supplier<JsonObject> prefillDecisions) {
    this.store = Objects.requireNonNull(store, "store");
    this.adminKeyDigest = adminKeyHash == null ? null : ApiKeyHash.bytes(adminKeyHash);
    this.prefillDecisions = prefillDecisions;
  }

  private JsonObject config() {
    JsonObject config = new JsonObject(ConfigRenderer.gatewayMasked(store.current()).toString());
    if (prefillDecisions != null) {
      config.put("prefill_decisions", prefillDecisions.get());
    }
    return config;
  }

  /** A router with the admin routes; mount it on the admin server or a sub-router. */
  public Router router(Vertx vertx) {
    Router router = Router.router(vertx);
    router.route("/admin/*").handler(this::authenticate);
    router.get("/admin/config").handler(ctx -> json(ctx, 200, config()));
    router.get("/admin/reload").handler(ctx -> json(ctx, 200, status(store.lastReload())));
    router.post("/admin/reload").handler(ctx ->
        vertx.executeBlocking(store::reload).onComplete(done -> {
          if (done.failed()) {
            ctx.fail(done.cause());
            return;
          }
          ReloadOutcome outcome = done.result();
          json(ctx, outcome.rejected() ? 422 : 200, status(outcome));
        }));
    return router;
  }

  private void authenticate(RoutingContext ctx) {
    if (adminKeyDigest == null) {
      reject(ctx, "The admin API is disabled: set server.admin_key_hash to enable it");
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      reject(ctx, "Missing admin key: send Authorization: Bearer <admin key>");
      return;
    }
    byte[] presented = ApiKeyHash.digest(header.substring(7).trim());
    if (!MessageDigest.isEqual(presented, adminKeyDigest)) {
      reject(ctx, "Invalid admin key");
      return;
    }
    ctx.next();
  }

  private JsonObject status(ReloadOutcome outcome) {
    JsonArray errors = new JsonArray();
    for (ConfigError e : outcome.errors()) {
      errors.add(new JsonObject().put("file", e.file()).put("path", e.path())
          .put("message", e.message()).put("text", e.toString()));
    }
    return new JsonObject()
        .put("status", outcome.status().name().toLowerCase(java.util.Locale.ROOT))
        .put("at", outcome.at().toString())
        .put("last_success", store.lastSuccess() == null ? null : store.lastSuccess().toString())
        .put("failures_total", store.reloadFailures())
        .put("errors", errors);
  }

  private static void reject(RoutingContext ctx, String message) {
    json(ctx, 401, OpenAiException.unauthorized(message).toJson());
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }
}
