import { createLogger } from "@agora/platform";
import { loadGatewayConfig } from "./config.js";
import { createGateway } from "./server.js";

const config = loadGatewayConfig();
const log = createLogger("gateway", config.LOG_LEVEL);
const gateway = await createGateway(config, log);
// Handlers before listening: a supervisor may signal as soon as the port answers.
let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    void gateway.stop().then(() => process.exit(0));
  });
}
const running = await gateway.listen(config.GATEWAY_PORT, config.GATEWAY_HOST);
log.info({ url: `${running.url}/graphql` }, "gateway listening");
