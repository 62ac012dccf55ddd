/**
 * @goodgo/wallet-till/testing: what the till's tests and the example till use to take the network
 * away (Node only; the till itself never imports it).
 */
export { TcpProxy, type ProxyMode } from './tcp-proxy.js';
