# Las páginas de claimgate en español (tuteo). Misma estructura que en.ftl.

## Lo que recibe una aplicación y lo que guarda claimgate, como complemento de una frase.

claim-name = tu nombre
claim-email = tu dirección de correo electrónico
claim-picture = tu foto de perfil
list-two = { $first } y { $second }
list-three = { $first }, { $second } y { $third }

## El aviso, antes de ir al proveedor.

notice-title = Iniciar sesión en { $app }
notice-heading = { $app } te pide que inicies sesión
notice-receives = { $app } recibirá { $claims }, y un identificador exclusivo para esta aplicación.
notice-receives-nothing = { $app } recibirá solo un identificador exclusivo para esta aplicación, así que no podrá reconocerte en otros sitios.
notice-may-share = También puedes compartir, si lo deseas:
notice-claim-needed = ({ $app } indica que lo necesita)
notice-also-asks = { $app } también pide { $claims }, que puedes rechazar: lo eliges después de iniciar sesión, salvo que ya lo hayas elegido antes.
notice-continue = Continuar
notice-continue-with = Continuar con { $provider }
notice-apple-name-once = Apple comparte tu nombre solo la primera vez que inicias sesión aquí con Apple: las aplicaciones que lo recibieron lo conservan, y los inicios de sesión posteriores no incluyen ningún nombre.
notice-keeps = claimgate guarda { $claims }; no se guarda nada más de tu cuenta. Puedes ver, retirar y descargar lo que compartiste en cualquier momento en tu página de claimgate (/me).
notice-read = Leer el aviso de privacidad
notice-version = Versión del aviso: { $version }.
notice-version-revised = Versión del aviso: { $version }, revisada el { $revised }.

## La página de inicio de sesión del proveedor de desarrollo.

dev-title = Inicio de sesión de prueba
dev-heading = Inicio de sesión de prueba (no es un proveedor real)
dev-intro = Este proveedor sustituto inicia la sesión de un usuario de ejemplo y envía estos datos. claimgate guarda solo lo que el aviso permite y descarta el resto.
dev-sign-in = Iniciar sesión como el usuario de ejemplo

## /me: lo que claimgate guarda sobre la persona que ha iniciado sesión.

me-title = Tus datos
me-heading = Lo que claimgate guarda sobre ti
me-name = Nombre
me-email = Dirección de correo electrónico
me-picture = Foto de perfil
me-not-stored = no se guarda
me-picture-alt = Tu foto de perfil, tal como la guarda claimgate
me-session = No se guarda nada más de tu cuenta de { $provider }. Sesión iniciada el { $signed_in }; esta sesión termina a más tardar el { $ends_by }.
me-apps-heading = Aplicaciones en esta sesión
me-app-received = { $app } recibió { $claims } el { $when }.
me-app-received-nothing = { $app } recibió solo un identificador exclusivo para esta aplicación, el { $when }.
me-no-apps = Ninguna aplicación ha recibido nada en esta sesión.
me-consents-heading = Lo que aceptaste compartir
me-no-consents = No has aceptado compartir nada con ninguna aplicación.
me-consent-receives = Recibe { $claims }.
me-consent-receives-nothing = Recibe solo un identificador exclusivo para esta aplicación.
me-consent-declined = Rechazaste compartir { $claims }.
me-consent-given = Aceptado el { $when }.
me-consent-given-version = Aceptado el { $when } con la versión { $version } del aviso.
me-consent-outdated = El aviso ha cambiado desde entonces: se te volverá a preguntar.
me-withdraw-claim = { $claim ->
    [email] Dejar de compartir mi dirección de correo electrónico con { $app }
    [picture] Dejar de compartir mi foto de perfil con { $app }
   *[name] Dejar de compartir mi nombre con { $app }
}
me-withdraw-app = Dejar de compartir todo con { $app }
me-export = Descargar mis datos (JSON)
me-notice = Aviso de privacidad
me-notice-version = Aviso de privacidad, versión { $version }
me-notice-version-revised = Aviso de privacidad, versión { $version }, revisada el { $revised }
me-delete = Eliminar mis datos
not-signed-in-heading = No has iniciado sesión
not-signed-in-text = claimgate no tiene ninguna sesión para este navegador.
deleted-title = Datos eliminados
deleted-heading = Tus datos se han eliminado
deleted-text = claimgate ya no guarda nada sobre ti. Las aplicaciones que recibieron tu nombre, tu dirección de correo electrónico o tu foto conservan sus propias copias según sus propias políticas de privacidad.
deleted-told-heading = { $count ->
    [one] Aplicación avisada de que cerraste la sesión
   *[other] Aplicaciones avisadas de que cerraste la sesión
}
deleted-told = { $app }: avisada.
deleted-not-yet = { $app }: todavía no responde; claimgate lo seguirá intentando durante una hora.

## Cerrar sesión.

sign-out = Cerrar sesión
sign-out-heading = ¿Cerrar sesión?
sign-out-text = Esto termina tu sesión de claimgate y el acceso de todas las aplicaciones en las que iniciaste sesión a través de ella.
signed-out-title = Sesión cerrada
signed-out-heading = Has cerrado la sesión
signed-out-text = Tu sesión de claimgate ha terminado.

## Páginas de error.

error-return = Volver a la aplicación
error-nothing-kept = De este intento no se guardó nada sobre ti.
error-code = Código de error: { $code }
try-again = Vuelve a intentarlo en un momento.
unavailable-title = No disponible temporalmente
too-long-title = Solicitud demasiado larga
too-long-text = La dirección de esta solicitud es demasiado larga.
too-large-title = Solicitud demasiado grande
too-large-text = Esta solicitud contiene demasiados datos.
too-many-title = Demasiadas solicitudes
too-many-text = Llegaron demasiadas solicitudes de inicio de sesión desde tu red. Espera un momento y vuelve a intentarlo.
not-found-title = No encontrado
no-such-provider = No existe ese proveedor de inicio de sesión.
no-such-page = No existe esa página.
request-invalid-title = Esta solicitud de inicio de sesión no es válida
expired-title = Este inicio de sesión ha caducado
other-browser-title = Este inicio de sesión pertenece a otro navegador
other-browser-text = Se empezó en otro navegador, o la cookie de inicio de sesión de este navegador ha caducado. No se ha iniciado ninguna sesión. Vuelve a empezar desde la aplicación.
sign-in-failed-title = No se pudo iniciar sesión
sign-in-failed-text = { $provider } no pudo iniciar tu sesión.
sign-in-not-completed = El inicio de sesión no se completó.
sign-in-refused-title = Inicio de sesión rechazado
sign-in-unavailable-title = El inicio de sesión no está disponible
refused-missing-email = El proveedor no envió ninguna dirección de correo electrónico.
refused-unverified-email = El proveedor no ha verificado esta dirección de correo electrónico.
refused-email-domain = Este dominio de correo electrónico no está permitido aquí.
refused-missing-subject = El proveedor no indicó qué cuenta inició sesión.
refused-hosted-domain = Este dominio de Google Workspace no está permitido aquí.
refused-tenant = Esta organización de Microsoft no está permitida aquí.
app-not-registered = Esta aplicación no está registrada en claimgate.
app-no-longer-registered = Esta aplicación ya no está registrada.
return-not-registered = La dirección de retorno no está registrada para esta aplicación.
no-client-id = La aplicación no indicó quién es (client_id).
no-redirect-uri = La aplicación no indicó adónde volver (redirect_uri).
not-form-data = La solicitud no contiene datos de formulario válidos.
param-repeated = Un parámetro de esta solicitud aparece más de una vez.
form-incomplete = El formulario está incompleto. Vuelve a empezar desde la aplicación.
request-uri-invalid = La solicitud de inicio de sesión ha caducado o ya se utilizó (invalid_request_uri). Vuelve a empezar desde la aplicación.
page-used = La página ya se utilizó o es demasiado antigua. Vuelve a empezar desde la aplicación.
link-used = El enlace de inicio de sesión ya se utilizó, ha caducado o pertenece a otro navegador. Vuelve a empezar desde la aplicación.
sign-in-used = El inicio de sesión ha caducado o ya se utilizó. Vuelve a empezar desde la aplicación.
open-page-again = Vuelve a abrir la página que querías ver.
sign-out-invalid-title = Esta solicitud de cierre de sesión no es válida
hint-not-ours = Este servicio no emitió el id_token_hint.
hint-client-mismatch = El client_id no coincide con el id_token_hint.
logout-needs-client = post_logout_redirect_uri requiere un client_id o un id_token_hint.
request-refused-title = Solicitud rechazada
form-expired = Este formulario ha caducado. Vuelve a abrir la página.
not-signed-in-title = Sin sesión iniciada
nothing-to-delete = No hay nada que eliminar para este navegador.
nothing-to-withdraw = No hay nada que retirar para este navegador.
unknown-app-title = Aplicación desconocida
nothing-withdraw-title = Nada que retirar
no-consent-to-withdraw = No has aceptado compartir nada con esta aplicación.
not-optional-title = No es un dato opcional
not-optional-text = Esta aplicación lo necesita para iniciar tu sesión: en su lugar, deja de compartir todo con ella.
