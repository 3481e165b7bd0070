import { revalidatePath } from 'next/cache';
import { redirect } from 'next/navigation';

/**
 * Ends a Server Action that changed the session by redirecting to `path`, with every layout
 * rendered afresh. The header shows the cart count and who is signed in; without this, Next
 * re-renders the layout only when the action set a cookie, and most session writes do not (the
 * cookie keeps the same sealed id while the fields change in the store).
 */
export function refreshAndRedirect(path: string): never {
  revalidatePath('/', 'layout');
  redirect(path);
}
