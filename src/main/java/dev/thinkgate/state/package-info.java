/**
 * State that replicas share (tenant limits, the L2 verdict cache) and the connection to the
 * backend that holds it: {@code state.backend: local} keeps it in the process, {@code redis}
 * puts it in one Redis all replicas use.
 */
package dev.thinkgate.state;
