import { createLogger, onTerminationSignal } from "@agora/platform";
import { loadGatewayConfig } from "./config.js";
import { createGateway } from "./server.js";

const config = loadGatewayConfig();
const log = createLogger("gateway", config.LOG_LEVEL);
const gateway = await createGateway(config, log);
// Before listening: a supervisor may signal as soon as the port answers.
onTerminationSignal(log, () => gateway.stop());
const running = await gateway.listen(config.GATEWAY_PORT, config.GATEWAY_HOST);
log.info({ url: `${running.url}/graphql` }, "gateway listening");
