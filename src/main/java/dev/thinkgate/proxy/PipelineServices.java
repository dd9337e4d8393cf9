package dev.thinkgate.proxy;

import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.guard.Guard;
import dev.thinkgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The long-lived collaborators a request pipeline uses.
 *
 * @param guards guard by name; null when no guard of that name is configured
 * @param audit where audit records go (a sink that drops everything when none is configured)
 * @param clockMillis wall clock for timestamps and screening
 * @param requestTimeoutMs {@code server.request_timeout_ms} as of the latest valid config, read
 *     when a request starts
 * @param rawRelay whether streams the raw relay can take take it (off only to compare the paths)
 */
record PipelineServices(
    Vertx vertx, GatewayMetrics metrics, Function<String, Guard> guards, AuditSink audit,
    RandomGenerator random, LongSupplier clockMillis, LongSupplier requestTimeoutMs,
    ShadowTrials trials, java.util.function.BooleanSupplier rawRelay) {}
